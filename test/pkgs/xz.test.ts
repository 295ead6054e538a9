// XZ Utils built by eka: its xz tool round-trips files in the .xz and .lzma formats, speaks the
// formats Debian's xz does, and lists what is inside a file. (Until eka unpacks .xz streams with a
// SHA-256 check, as upstream's tarball is, building pkgs/xz fails with E_UNPACK: see its atom.toml.)
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { codecSuite, realInput } from "./codec.ts";
import { ROOT, scratch , withLibc } from "./helpers.ts";

const PKG = "xz";

codecSuite({
  pkg: PKG,
  program: "xz",
  ext: ".xz",
  compress: (name) => ["-k", "-6", name],
  decompress: (name) => ["-d", "-k", `${name}.xz`],
  native: "xz",
  magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00],
}, (libc) => {
  const { run: runPkg } = withLibc(libc);
  it("xz --format=lzma with -9e and an x86 filter chain: the native xz decodes each", () => {
    const dir = scratch("xz-formats");
    const data = realInput();
    writeFileSync(join(dir, "a"), data);
    writeFileSync(join(dir, "b"), data);
    const lzma = runPkg(PKG, "xz", ["-k", "--format=lzma", "-9e", "a"], { cwd: dir });
    expect(lzma.status, lzma.stderr).toBe(0);
    const chain = runPkg(PKG, "xz", ["-k", "--x86", "--lzma2=preset=6", "--check=sha256", "b"], { cwd: dir });
    expect(chain.status, chain.stderr).toBe(0);
    for (const f of ["a.lzma", "b.xz"]) {
      const back = spawnSync("xz", ["-dc", f], { cwd: dir, maxBuffer: 16 << 20 });
      expect(back.status, `${f}: ${String(back.stderr)}`).toBe(0);
      expect(back.stdout.equals(data), f).toBe(true);
    }
    const native = spawnSync("xz", ["-lvv", "b.xz"], { cwd: dir, encoding: "utf8" });
    expect(native.stdout).toMatch(/SHA-256/);
    expect(native.stdout).toMatch(/--x86/);
  });

  it("xz -l lists a native-made file's streams, blocks, sizes and check", () => {
    const dir = scratch("xz-list");
    const data = realInput();
    writeFileSync(join(dir, "real"), data);
    expect(spawnSync("xz", ["-k", "--check=crc32", "--block-size=200KiB", "real"], { cwd: dir }).status).toBe(0);
    const r = runPkg(PKG, "xz", ["-l", "real.xz"], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    const kib = (data.length / 1024).toFixed(1).replace(".", "\\.");
    const blocks = Math.ceil(data.length / (200 << 10));
    expect(r.stdout).toMatch(new RegExp(`^\\s+1\\s+${blocks}\\s+[\\d.]+ KiB\\s+${kib} KiB\\s+0\\.\\d+\\s+CRC32\\s+real\\.xz$`, "m"));
  });

  it("xzdec and lzmadec decode to standard output, lzmainfo reads a .lzma header", () => {
    const dir = scratch("xz-small-tools");
    // Text only: eka run hands standard output back as text.
    const text = readFileSync(join(ROOT, "node_modules/typescript/lib/lib.es5.d.ts"), "utf8");
    writeFileSync(join(dir, "t"), text);
    expect(spawnSync("xz", ["-k", "t"], { cwd: dir }).status).toBe(0);
    expect(spawnSync("xz", ["-k", "-9", "--format=lzma", "t"], { cwd: dir }).status).toBe(0);
    for (const [tool, file] of [["xzdec", "t.xz"], ["lzmadec", "t.lzma"]] as const) {
      const r = runPkg(PKG, tool, [file], { cwd: dir });
      expect(r.status, `${tool}: ${r.stderr}`).toBe(0);
      expect(r.stdout === text, tool).toBe(true);
    }
    const info = runPkg(PKG, "lzmainfo", ["t.lzma"], { cwd: dir });
    expect(info.status, info.stderr).toBe(0);
    expect(info.stdout).toMatch(/Dictionary size:\s+64 MB \(2\^26 bytes\)/);
  });
});
