// libdeflate built by eka: its gzip program (libdeflate-gzip) round-trips files, writes gzip files
// Debian's gzip reads and reads the ones Debian's gzip writes, and catches a damaged file.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { codecSuite, realInput } from "./codec.ts";
import { scratch , withLibc } from "./helpers.ts";

const GZIP = "libdeflate-gzip";

codecSuite({
  pkg: "libdeflate",
  program: GZIP,
  ext: ".gz",
  compress: (name) => ["-k", name],
  decompress: (name) => ["-d", "-k", `${name}.gz`],
  native: "gzip",
  magic: [0x1f, 0x8b, 0x08],
}, (libc) => {
  const { run: runPkg } = withLibc(libc);
  it("-12 compresses smaller than -1, and the native gzip -t accepts both", () => {
    const dir = scratch("libdeflate-levels");
    writeFileSync(join(dir, "real"), realInput());
    const sizes: number[] = [];
    for (const level of ["-1", "-12"]) {
      const f = runPkg("libdeflate", GZIP, [level, "-k", "-f", "-S", `${level}.gz`, "real"], { cwd: dir });
      expect(f.status, f.stderr).toBe(0);
      const test = spawnSync("gzip", ["-t", `real${level}.gz`], { cwd: dir, encoding: "utf8" });
      expect(test.status, test.stderr).toBe(0);
      sizes.push(readFileSync(join(dir, `real${level}.gz`)).length);
    }
    expect(sizes[1]).toBeLessThan(sizes[0] as number);
  });

  it("a flipped byte inside the compressed data is refused, naming the file", () => {
    const dir = scratch("libdeflate-damage");
    writeFileSync(join(dir, "real"), realInput());
    expect(spawnSync("gzip", ["-k", "real"], { cwd: dir }).status).toBe(0);
    const packed = readFileSync(join(dir, "real.gz"));
    const mid = packed.length >> 1;
    packed[mid] = (packed[mid] as number) ^ 0x55;
    writeFileSync(join(dir, "bad.gz"), packed);
    const r = runPkg("libdeflate", GZIP, ["-d", "-k", "bad.gz"], { cwd: dir });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("bad.gz");
  });
});
