// Zstandard built by eka: its zstd tool round-trips files and speaks the format Debian's zstd
// does, the dictionaries it trains are ones Debian's zstd decodes with, and it speaks .lz4 too.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { codecSuite, realInput } from "./codec.ts";
import { runPkg, scratch } from "./helpers.ts";

codecSuite({
  pkg: "zstd",
  program: "zstd",
  ext: ".zst",
  compress: (name) => ["-q", "-19", "-k", name, "-o", `${name}.zst`],
  decompress: (name) => ["-q", "-d", "-k", `${name}.zst`, "-o", name],
  native: "zstd",
  magic: [0x28, 0xb5, 0x2f, 0xfd],
}, () => {
  it("zstd --train makes a dictionary that shrinks small files, and the native zstd decodes with it", () => {
    const dir = scratch("zstd-dict");
    mkdirSync(join(dir, "s"));
    // Small samples alike in kind: 1500-byte slices of a TypeScript declaration file.
    const text = realInput().subarray(0, 200_000);
    for (let i = 0; i * 1500 < text.length; i++) writeFileSync(join(dir, "s", `x${String(i).padStart(3, "0")}`), text.subarray(i * 1500, (i + 1) * 1500));
    const samples = readdirSync(join(dir, "s")).sort().map((f) => `s/${f}`);
    const train = runPkg("zstd", "zstd", ["--train", ...samples, "-o", "dict"], { cwd: dir });
    expect(train.status, train.stderr).toBe(0);
    expect(train.stderr).toMatch(/Save dictionary of size \d+ into file dict/);

    const one = samples[40] as string;
    for (const [out, extra] of [["plain.zst", []], ["dict.zst", ["-D", "dict"]]] as const) {
      const r = runPkg("zstd", "zstd", ["-q", ...extra, one, "-o", out], { cwd: dir });
      expect(r.status, r.stderr).toBe(0);
    }
    expect(readFileSync(join(dir, "dict.zst")).length * 2).toBeLessThan(readFileSync(join(dir, "plain.zst")).length);
    const back = spawnSync("zstd", ["-q", "-D", "dict", "-dc", "dict.zst"], { cwd: dir });
    expect(back.status, String(back.stderr)).toBe(0);
    expect(back.stdout.equals(readFileSync(join(dir, one)))).toBe(true);
  });

  it("zstd --format=lz4 writes what the native lz4 reads, and reads what it writes", () => {
    const dir = scratch("zstd-lz4");
    const data = realInput();
    writeFileSync(join(dir, "real"), data);
    const w = runPkg("zstd", "zstd", ["-q", "--format=lz4", "real", "-o", "by-zstd.lz4"], { cwd: dir });
    expect(w.status, w.stderr).toBe(0);
    const back = spawnSync("lz4", ["-dc", "by-zstd.lz4"], { cwd: dir, maxBuffer: 16 << 20 });
    expect(back.status, String(back.stderr)).toBe(0);
    expect(back.stdout.equals(data)).toBe(true);

    expect(spawnSync("lz4", ["-q", "real", "by-lz4.lz4"], { cwd: dir }).status).toBe(0);
    const r = runPkg("zstd", "zstd", ["-q", "-d", "by-lz4.lz4", "-o", "from-lz4"], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(dir, "from-lz4")).equals(data)).toBe(true);
  });
// Against the seed's libc only: wasi-libc of 2022 (bootstrap stage 1) has no chmod, which the
  // programs' util.h calls.
}, ["seed"]);
