// bzip2 built by eka: its bzip2 tool round-trips files and speaks the format Debian's bzip2 does;
// bzip2recover splits a file into its blocks.
import { spawnSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { codecSuite, realInput } from "./codec.ts";
import { scratch , withLibc } from "./helpers.ts";

codecSuite({
  pkg: "bzip2",
  program: "bzip2",
  ext: ".bz2",
  compress: (name) => ["-k", "-9", name],
  decompress: (name) => ["-d", "-k", `${name}.bz2`],
  native: "bzip2",
  magic: [...Buffer.from("BZh9")],
}, (libc) => {
  const { run: runPkg } = withLibc(libc);
  it("bzip2recover writes each block of a .bz2 file as a .bz2 file of its own", () => {
    const dir = scratch("bzip2recover");
    const data = realInput();
    writeFileSync(join(dir, "real"), data);
    // -1: blocks of 100 kB, so a few hundred kB make several blocks.
    expect(spawnSync("bzip2", ["-1", "real"], { cwd: dir }).status).toBe(0);
    const r = runPkg("bzip2", "bzip2recover", ["real.bz2"], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/block 1 runs from \d+ to \d+\n/);
    expect(r.stderr).toContain("bzip2recover: finished");
    const parts = readdirSync(dir).filter((f) => /^rec\d{5}real\.bz2$/.test(f)).sort();
    expect(parts.length).toBeGreaterThanOrEqual(4);
    const back = parts.map((p) => spawnSync("bzip2", ["-dc", p], { cwd: dir, maxBuffer: 16 << 20 }));
    for (const b of back) expect(b.status, String(b.stderr)).toBe(0);
    expect(Buffer.concat(back.map((b) => b.stdout)).equals(data)).toBe(true);
  });
});
