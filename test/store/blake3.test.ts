// util/blake3 (the SIMD kernel above 16 KiB, hash-wasm below) against an independent
// implementation at every size where the tree shape changes, and against b3sum.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { blake3 as reference } from "@noble/hashes/blake3.js";
import { describe, expect, it } from "vitest";
import { blake3, blake3Implementation, blake3Stream, initBlake3, toHex } from "../../src/util/blake3.ts";

describe("util/blake3", () => {
  it("agrees with @noble/hashes at chunk, group and tree boundaries", async () => {
    await initBlake3();
    expect(blake3Implementation()).toBe("simd");
    const data = Uint8Array.from({ length: (1 << 20) + 5000 }, (_, i) => (i * 31 + (i >> 8)) & 0xff);
    const sizes = [0, 1, 64, 1024, 1025, 4096, 16383, 16384, 16385, 17408, 20480, 21504, 32768, 33792, 65536, 65537, 66560, 131072 + 3072, 200_000, 1 << 20, (1 << 20) + 5000];
    for (const n of sizes) expect(toHex(blake3(data.subarray(0, n))), `${n} bytes`).toBe(toHex(reference(data.subarray(0, n))));
    const s = blake3Stream();
    s.update(data.subarray(0, 1000));
    const other = blake3Stream().update(new Uint8Array(5));
    s.update(data.subarray(1000, 70000));
    expect(toHex(other.digest())).toBe(toHex(reference(new Uint8Array(5))));
    expect(toHex(s.digest())).toBe(toHex(reference(data.subarray(0, 70000))));
  });

  it("streams agree with one-shot hashing whatever the sizes of the pieces", async () => {
    await initBlake3();
    const data = Uint8Array.from({ length: 600_000 }, (_, i) => (i * 7 + (i >> 10)) & 0xff);
    const sizes = [0, 1, 1024, 65535, 65536, 65537, 66560, 66561, 131072, 131073, 200_000, 196_608 + 4096 + 1, 600_000];
    let seed = 1;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (const n of sizes) {
      for (const piece of [1000, 65536, 0]) {
        const s = blake3Stream();
        for (let off = 0; off < n; ) {
          const len = Math.min(n - off, piece || 1 + Math.floor(rand() * 90_000));
          s.update(data.subarray(off, off + len));
          off += len;
        }
        expect(toHex(s.digest()), `${n} bytes in pieces of ${piece || "random"}`).toBe(toHex(reference(data.subarray(0, n))));
      }
    }
  });

  it.skipIf(spawnSync("b3sum", ["--version"]).status !== 0)("agrees with b3sum on 9 MiB + 1 byte", async () => {
    await initBlake3();
    const data = Uint8Array.from({ length: 9 * 1024 * 1024 + 1 }, (_, i) => Math.imul(i, 2654435761) >>> 24);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "eka-b3-")), "x");
    fs.writeFileSync(file, data);
    const out = spawnSync("b3sum", ["--no-names", file], { encoding: "utf8" }).stdout.trim();
    fs.rmSync(path.dirname(file), { recursive: true });
    expect(toHex(blake3(data))).toBe(out);
  });
});
