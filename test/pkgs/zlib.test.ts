// zlib under eka: upstream's example program, and minigzip round trips checked against the
// Debian-packaged native gzip in both directions.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { scratch , LIBCS, withLibc } from "./helpers.ts";

/** Some text and some incompressible bytes, so both of deflate's block kinds are exercised. */
function sample(): Buffer {
  const text = Array.from({ length: 4000 }, (_, i) => `line ${i}: ${"zlib ".repeat(i % 7)}\n`).join("");
  let x = 12345;
  const noise = Buffer.alloc(20_000, 0).map(() => ((x = (x * 1103515245 + 12345) >>> 0), x >>> 24));
  return Buffer.concat([Buffer.from(text), noise]);
}

describe.each(LIBCS)("zlib (libc %s)", (libc) => {
  const { build: buildPkg, run: runPkg } = withLibc(libc);
  beforeAll(async () => {
    await buildPkg("zlib");
  }, 900_000);

  it("runs upstream's example: every check passes and its foo.gz is real gzip", () => {
    const dir = scratch("zlib-example");
    const r = runPkg("zlib", "example", [], { cwd: dir });
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("zlib version 1.2.13");
    for (const check of ["uncompress(): hello, hello!", "gzread(): hello, hello!", "large_inflate(): OK", "inflate with dictionary: hello, hello!"]) expect(r.stdout).toContain(check);
    expect(execFileSync("gzip", ["-dc", join(dir, "foo.gz")]).toString("latin1")).toBe("hello, hello!\0");
  });

  it("minigzip compresses what native gzip reads back, and decompresses its own output", () => {
    const dir = scratch("zlib-minigzip");
    const data = sample();
    writeFileSync(join(dir, "data"), data);
    const c = runPkg("zlib", "minigzip", ["-9", "data"], { cwd: dir });
    expect(c.status).toBe(0);
    // Like gzip, minigzip replaces the file with FILE.gz.
    expect(existsSync(join(dir, "data"))).toBe(false);
    const gz = readFileSync(join(dir, "data.gz"));
    expect(gz.length).toBeLessThan(data.length);
    expect(execFileSync("gzip", ["-dc", join(dir, "data.gz")]).equals(data)).toBe(true);
    const d = runPkg("zlib", "minigzip", ["-d", "data.gz"], { cwd: dir });
    expect(d.status).toBe(0);
    expect(readFileSync(join(dir, "data")).equals(data)).toBe(true);
  });

  it("minigzip -d reads a file made by native gzip", () => {
    const dir = scratch("zlib-native");
    const data = sample();
    writeFileSync(join(dir, "native.gz"), execFileSync("gzip", ["-9c"], { input: data }));
    const r = runPkg("zlib", "minigzip", ["-d", "native.gz"], { cwd: dir });
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, "native")).equals(data)).toBe(true);
  });

  it("minigzip names a file it cannot open and exits 1", () => {
    const r = runPkg("zlib", "minigzip", ["-d", "missing.gz"], { cwd: scratch("zlib-missing") });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("can't gzopen missing.gz");
  });
});
