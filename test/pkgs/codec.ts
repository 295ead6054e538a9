// The checks every compressor of the package set shares (bzip2, xz, lz4, zstd, libdeflate): a real
// input and an empty file survive compress → decompress under eka byte for byte, a file the Debian
// tool made is read (the format is the same), the Debian tool reads what eka's build made, and a
// damaged file is refused. Programs read and write files in a scratch directory: eka run's stdout
// is text, so binary data never goes through it.
import { spawnSync } from "node:child_process";
import { closeSync, copyFileSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { LIBCS, type Libc, ROOT, scratch, withLibc } from "./helpers.ts";

export interface Codec {
  /** pkgs/NAME */
  pkg: string;
  /** Its command-line program (bin/PROGRAM.wasm). */
  program: string;
  /** What compressing NAME writes: NAME + ext (bzip2, xz and gzip write no other name; lz4 and zstd are told it). */
  ext: string;
  /**
   * Arguments (for eka's program and the native one alike) compressing NAME into NAME + ext, and
   * decompressing NAME + ext into NAME, each keeping its input.
   */
  compress: (name: string) => string[];
  decompress: (name: string) => string[];
  /** The Debian-packaged program speaking the same format. */
  native: string;
  /** The format's leading bytes, to see that output is that format and not, say, stored as is. */
  magic: number[];
}

/** A few hundred KB of real data: TypeScript's lib.es5.d.ts (text) and the head of clang's wasm (binary). */
export function realInput(): Buffer {
  const text = readFileSync(join(ROOT, "node_modules/typescript/lib/lib.es5.d.ts"));
  const bin = Buffer.alloc(256 << 10);
  const fd = openSync(join(ROOT, "node_modules/@yowasp/clang/gen/llvm.core.wasm"), "r");
  try {
    readSync(fd, bin, 0, bin.length, 0);
  } finally {
    closeSync(fd);
  }
  return Buffer.concat([text, bin]);
}

/**
 * The shared checks of `c`, then `more` (the package's own tests) in the same describe, after its
 * build; once per libc of `libcs` (default both).
 */
export function codecSuite(c: Codec, more?: (libc: Libc) => void, libcs: readonly Libc[] = LIBCS): void {
  describe.each(libcs)(`pkgs/${c.pkg}: ${c.program} (libc %s)`, (libc) => {
    const { build: buildPkg, run: runPkg } = withLibc(libc);
    const data = realInput();
    const run = (dir: string, args: string[]) => {
      const r = runPkg(c.pkg, c.program, args, { cwd: dir });
      return { status: r.status, out: r.stdout + r.stderr };
    };
    const native = (dir: string, args: string[]) => {
      const r = spawnSync(c.native, args, { cwd: dir, encoding: "utf8" });
      expect(r.status, `${c.native} ${args.join(" ")}: ${r.stderr}`).toBe(0);
    };
    const ok = (dir: string, args: string[]) => {
      const r = run(dir, args);
      expect(r.status, `${c.program} ${args.join(" ")}: ${r.out}`).toBe(0);
    };

    beforeAll(() => buildPkg(c.pkg), 900_000);

    it("round-trips a real file and an empty one byte for byte", () => {
      const dir = scratch(c.pkg);
      for (const [name, bytes] of [["real", data], ["empty", Buffer.alloc(0)]] as const) {
        writeFileSync(join(dir, name), bytes);
        ok(dir, c.compress(name));
        const packed = readFileSync(join(dir, name + c.ext));
        expect([...packed.subarray(0, c.magic.length)]).toEqual(c.magic);
        if (bytes.length) expect(packed.length).toBeLessThan(bytes.length / 2);
        copyFileSync(join(dir, name + c.ext), join(dir, `${name}-back${c.ext}`));
        ok(dir, c.decompress(`${name}-back`));
        expect(readFileSync(join(dir, `${name}-back`)).equals(bytes)).toBe(true);
      }
    });

    it(`reads what the native ${c.native} wrote, and ${c.native} reads what it wrote`, () => {
      const dir = scratch(c.pkg);
      for (const [by, compress, decompress] of [["native", native, ok], ["eka", ok, native]] as const) {
        writeFileSync(join(dir, by), data);
        compress(dir, c.compress(by));
        rmSync(join(dir, by));
        decompress(dir, c.decompress(by));
        expect(readFileSync(join(dir, by)).equals(data), `made by ${by}`).toBe(true);
      }
    });

    it("refuses a truncated file with a non-zero exit and a message", () => {
      const dir = scratch(c.pkg);
      writeFileSync(join(dir, "real"), data);
      ok(dir, c.compress("real"));
      const packed = readFileSync(join(dir, "real" + c.ext));
      writeFileSync(join(dir, "cut" + c.ext), packed.subarray(0, packed.length >> 1));
      const r = run(dir, c.decompress("cut"));
      expect(r.status).not.toBe(0);
      expect(r.out).toMatch(/\S/);
    });

    more?.(libc);
  });
}
