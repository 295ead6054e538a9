// libpng under eka: upstream's pngtest, and a writer/reader of our own whose PNGs the native
// `file` and `pngcheck` (Debian's) accept; damaged files are reported through libpng's longjmp.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PKGS, buildPkg, mirror, runPkg, scratch } from "./helpers.ts";

const TARBALL = "a00e9d2f2f664186e4202db9299397f851aea71b36a35e74910b8820e380d441";

/** One file of the pinned libpng tarball, read from the mirror. */
const fromTarball = (file: string): Buffer =>
  execFileSync("tar", ["-xzOf", join(mirror(), "sha256", TARBALL), `libpng-1.6.39/${file}`], { maxBuffer: 1 << 24 });

describe("libpng", () => {
  beforeAll(async () => {
    await buildPkg("libpng");
  }, 900_000);

  it("uses upstream's pnglibconf.h.prebuilt unchanged", () => {
    expect(readFileSync(join(PKGS, "libpng/port/pnglibconf.h")).equals(fromTarball("scripts/pnglibconf.h.prebuilt"))).toBe(true);
  });

  it("passes upstream's pngtest, and its pngout.png is a PNG to file and pngcheck", () => {
    const dir = scratch("libpng-pngtest");
    writeFileSync(join(dir, "pngtest.png"), fromTarball("pngtest.png"));
    const r = runPkg("libpng", "pngtest", [], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Testing libpng version 1.6.39");
    expect(r.stdout).toContain("with zlib   version 1.2.13");
    expect(r.stdout).toContain("libpng passes test");
    expect(execFileSync("file", ["-b", join(dir, "pngout.png")], { encoding: "utf8" })).toMatch(/^PNG image data, 91 x 69, 8-bit\/color RGBA, interlaced/);
    expect(execFileSync("pngcheck", [join(dir, "pngout.png")], { encoding: "utf8" })).toMatch(/^OK: /);
  });

  it("writes a PNG that native tools accept and reads every pixel back", () => {
    const dir = scratch("libpng-rt");
    const w = runPkg("libpng", "pngrt", ["write", "grad.png", "200", "150"], { cwd: dir });
    expect(w.stderr).toBe("");
    expect(w.status).toBe(0);
    const png = join(dir, "grad.png");
    expect(execFileSync("file", ["-b", png], { encoding: "utf8" }).trim()).toBe("PNG image data, 200 x 150, 8-bit/color RGBA, non-interlaced");
    const check = execFileSync("pngcheck", ["-t", png], { encoding: "utf8" });
    expect(check).toContain("Software:");
    expect(check).toMatch(/^OK: .*\(200x150, 32-bit RGB\+alpha, non-interlaced/m);
    const r = runPkg("libpng", "pngrt", ["read", "grad.png"], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("200x150\nSoftware: pngrt (eka pkgs/libpng)\npixels ok\n");
  });

  it("reports a truncated and a corrupted file as libpng errors, exit 1", () => {
    const dir = scratch("libpng-bad");
    expect(runPkg("libpng", "pngrt", ["write", "good.png", "200", "150"], { cwd: dir }).status).toBe(0);
    const good = readFileSync(join(dir, "good.png"));
    writeFileSync(join(dir, "short.png"), good.subarray(0, good.length >> 1));
    const t = runPkg("libpng", "pngrt", ["read", "short.png"], { cwd: dir });
    expect(t.status).toBe(1);
    expect(t.stderr).toContain("pngrt: short.png: libpng error:");
    writeFileSync(join(dir, "notpng.png"), "GIF89a, not a PNG at all");
    const n = runPkg("libpng", "pngrt", ["read", "notpng.png"], { cwd: dir });
    expect(n.status).toBe(1);
    expect(n.stderr).toContain("pngrt: notpng.png: libpng error: Not a PNG file");
  });
});
