import { describe, expect, it } from "vitest";
import { planHostPaths, resolvePosix } from "../../../src/toolchains/clang/hostpaths.ts";

describe("planHostPaths (eka cc's view of the host)", () => {
  const none = new Set<string>();

  it("leaves relative paths alone: the current directory is the guest root", () => {
    const p = planHostPaths(["-O2", "-Iinclude", "-o", "hello.wasm", "src/hello.c"], "/home/u/proj", none);
    expect(p.args).toEqual(["-O2", "-Iinclude", "-o", "hello.wasm", "src/hello.c"]);
    expect(p.topDirs).toEqual([]);
  });

  it("mounts the top-level directory of every absolute path, wherever it appears", () => {
    const p = planHostPaths(["-I/opt/inc", "-o", "/tmp/x/out.wasm", "/home/u/a.c", "-Wl,-L/srv/lib", "--sysroot=/usr"], "/work/p", none);
    expect(p.topDirs).toEqual(["/home", "/opt", "/srv", "/tmp"]);
    expect(p.shadowed).toEqual(["/usr"]);
    expect(p.args).toEqual(["-I/opt/inc", "-o", "/tmp/x/out.wasm", "/home/u/a.c", "-Wl,-L/srv/lib", "--sysroot=/usr"]);
  });

  it("makes paths that climb out of the current directory absolute", () => {
    const p = planHostPaths(["-I../inc", "-c", "../src/a.c", "-o", "../build/a.o", "-MF", "../a.d"], "/work/p/sub", none);
    expect(p.args).toEqual(["-I/work/p/inc", "-c", "/work/p/src/a.c", "-o", "/work/p/build/a.o", "-MF", "/work/p/a.d"]);
    expect(p.topDirs).toEqual(["/work"]);
  });

  it("rewrites relative paths that clash with a mounted top-level directory", () => {
    // cwd holds its own tmp/, and the user also names the host's /tmp.
    const p = planHostPaths(["tmp/a.c", "/tmp/b.c", "-o", "out.wasm"], "/work/p", new Set(["tmp", "out.wasm"]));
    expect(p.args).toEqual(["/work/p/tmp/a.c", "/tmp/b.c", "-o", "out.wasm"]);
    expect(p.topDirs).toEqual(["/tmp", "/work"]);
  });

  it("keeps a local usr/ from being mistaken for the sysroot", () => {
    const p = planHostPaths(["-Iusr/include", "-Iusr", "usr/a.c", "b.c"], "/work/p", new Set(["usr", "b.c"]));
    expect(p.args).toEqual(["-I/work/p/usr/include", "-I/work/p/usr", "/work/p/usr/a.c", "b.c"]);
    expect(p.topDirs).toEqual(["/work"]);
  });

  it("leaves macro definitions alone", () => {
    const p = planHostPaths(["-DDIR=/opt/x", "-D", "UP=../y", "-UZ", "a.c"], "/work/p", new Set(["opt"]));
    expect(p.args).toEqual(["-DDIR=/opt/x", "-D", "UP=../y", "-UZ", "a.c"]);
    expect(p.topDirs).toEqual([]);
  });

  it("needs no extra mounts when the current directory is the host root", () => {
    expect(planHostPaths(["/a/b.c", "c.c"], "/", none)).toEqual({ args: ["/a/b.c", "c.c"], topDirs: [], shadowed: [] });
  });

  it("resolves like POSIX without touching the disk", () => {
    expect(resolvePosix("/a/b", "../../../c/./d")).toBe("/c/d");
    expect(resolvePosix("/a", "/x/../y")).toBe("/y");
  });
});
