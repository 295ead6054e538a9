// LZ4 built by eka: its lz4 tool round-trips files and speaks the frame format Debian's lz4 does,
// at the fast default level and through lz4hc at -12.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { codecSuite, realInput } from "./codec.ts";
import { runPkg, scratch } from "./helpers.ts";

codecSuite({
  pkg: "lz4",
  program: "lz4",
  ext: ".lz4",
  compress: (name) => ["-k", name, `${name}.lz4`],
  decompress: (name) => ["-d", "-k", `${name}.lz4`, name],
  native: "lz4",
  magic: [0x04, 0x22, 0x4d, 0x18],
}, () => {
  it("lz4 -12 (lz4hc) compresses smaller than the default, and the native lz4 reads it", () => {
    const dir = scratch("lz4hc");
    const data = realInput();
    writeFileSync(join(dir, "real"), data);
    for (const [level, out] of [["-1", "fast.lz4"], ["-12", "hc.lz4"]]) {
      const r = runPkg("lz4", "lz4", [level as string, "real", out as string], { cwd: dir });
      expect(r.status, r.stderr).toBe(0);
    }
    expect(readFileSync(join(dir, "hc.lz4")).length).toBeLessThan(readFileSync(join(dir, "fast.lz4")).length);
    const back = spawnSync("lz4", ["-dc", "hc.lz4"], { cwd: dir, maxBuffer: 16 << 20 });
    expect(back.status, String(back.stderr)).toBe(0);
    expect(back.stdout.equals(data)).toBe(true);
  });
// Against the seed's libc only: wasi-libc of 2022 (bootstrap stage 1) has no chmod, which the
  // programs' util.h calls.
}, ["seed"]);
