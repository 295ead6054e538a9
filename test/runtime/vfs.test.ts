// The virtual file systems on their own: MemoryFS growth, the read-only view, the overlay, walk.
import { describe, expect, it } from "vitest";
import { MemoryFS, OverlayFS, ReadOnlyFS, mkdirp, readFile, tickingClock, walk, writeFile, type FileSystem } from "../../src/runtime/index.ts";
import { dec, enc, errnoOf } from "./helpers.ts";


describe("MemoryFS", () => {
  it("appends are amortised O(1): 2,000 × 4 KiB appends copy less than 2× the final size", () => {
    const fs = new MemoryFS();
    const h = fs.open("big", { write: true, create: true });
    const chunk = new Uint8Array(4096).fill(7);
    for (let i = 0; i < 2000; i++) h.write(chunk, h.size());
    const size = 2000 * 4096;
    expect(h.size()).toBe(size);
    // A copy-per-write design moves ~n²/2 chunks (≈ 16 GB here); geometric growth moves < 2n.
    expect(fs.bytesCopied).toBeLessThan(2 * size);
    const back = readFile(fs, "big");
    expect(back.length).toBe(size);
    expect(back.every((b) => b === 7)).toBe(true);
  });
  it("single-byte appends stay linear too, and truncate-then-extend reads zeros", () => {
    const fs = new MemoryFS();
    const h = fs.open("f", { write: true, create: true });
    for (let i = 0; i < 100_000; i++) h.write(enc("x"), i);
    expect(fs.bytesCopied).toBeLessThan(200_000);
    h.truncate(2);
    h.write(enc("y"), 5);
    expect([...readFile(fs, "f")]).toEqual([120, 120, 0, 0, 0, 121]);
  });
  it("with a ticking clock, the same operations give the same times, later writes newer", () => {
    const times = () => {
      const fs = new MemoryFS({ now: tickingClock(1_000_000_000n * 1_000_000_000n) });
      writeFile(fs, "a", enc("1"));
      writeFile(fs, "b", enc("2"));
      return [fs.stat("a").mtimeNs, fs.stat("b").mtimeNs];
    };
    const [a, b] = times();
    expect(times()).toEqual([a, b]);
    expect((b as bigint) > (a as bigint)).toBe(true);
    expect((a as bigint) / 1_000_000_000n).toBe(1_000_000_000n);
  });
  it("keeps the POSIX errors for the interface's operations", () => {
    const fs = new MemoryFS();
    mkdirp(fs, "a/b");
    writeFile(fs, "a/f", enc("1"));
    expect(errnoOf(() => fs.mkdir("a"))).toBe("EXIST");
    expect(errnoOf(() => fs.rmdir("a"))).toBe("NOTEMPTY");
    expect(errnoOf(() => fs.unlink("a"))).toBe("ISDIR");
    expect(errnoOf(() => fs.open("a/nope"))).toBe("NOENT");
    expect(errnoOf(() => fs.open("a/f/x", { create: true, write: true }))).toBe("NOTDIR");
    expect(errnoOf(() => fs.rename("a", "a/b/c"))).toBe("INVAL");
    expect(errnoOf(() => fs.link("a", "l"))).toBe("PERM");
    fs.symlink("f", "a/s");
    expect(fs.stat("a/s").kind).toBe("symlink");
    expect(errnoOf(() => fs.open("a/s"))).toBe("LOOP");
    fs.link("a/f", "a/g");
    expect(fs.stat("a/f").nlink).toBe(2);
    // A directory's link count is 2 + its subdirectories, kept through renames and removals.
    expect(fs.stat("a").nlink).toBe(3);
    fs.rename("a/b", "c");
    expect([fs.stat("a").nlink, fs.stat("").nlink]).toEqual([2, 4]);
    fs.rmdir("c");
    expect(fs.stat("").nlink).toBe(3);
    fs.unlink("a/f");
    expect(dec(readFile(fs, "a/g"))).toBe("1");
  });
});

describe("ReadOnlyFS", () => {
  it("reads through and refuses every mutation with ROFS", () => {
    const inner = new MemoryFS();
    writeFile(inner, "d/f", enc("data"));
    const ro = new ReadOnlyFS(inner);
    expect(dec(readFile(ro, "d/f"))).toBe("data");
    expect(ro.readdir("d").map((e) => e.name)).toEqual(["f"]);
    for (const op of [
      () => ro.open("d/f", { write: true }),
      () => ro.open("d/new", { create: true, write: true }),
      () => ro.open("d/f", { truncate: true }),
      () => ro.mkdir("e"),
      () => ro.rmdir("d"),
      () => ro.unlink("d/f"),
      () => ro.rename("d/f", "g"),
      () => ro.symlink("x", "s"),
      () => ro.link("d/f", "h"),
      () => ro.setTimes("d/f", 0n, 0n),
    ]) {
      expect(errnoOf(op)).toBe("ROFS");
    }
    expect(dec(readFile(inner, "d/f"))).toBe("data");
  });
});

describe("OverlayFS", () => {
  function setup(): { lower: MemoryFS; upper: MemoryFS; fs: OverlayFS } {
    const lower = new MemoryFS();
    writeFile(lower, "src/a.c", enc("int a;"));
    writeFile(lower, "src/b.c", enc("int b;"));
    writeFile(lower, "src/sub/c.c", enc("int c;"));
    writeFile(lower, "tool", enc("#!"), { executable: true });
    const upper = new MemoryFS();
    return { lower, upper, fs: new OverlayFS(new ReadOnlyFS(lower), upper) };
  }
  const names = (fs: FileSystem, p: string) => fs.readdir(p).map((e) => e.name).sort();

  it("writes copy up; the lower layer never changes", () => {
    const { lower, upper, fs } = setup();
    const h = fs.open("src/a.c", { write: true });
    h.write(enc("long a;"), 0);
    h.close();
    expect(dec(readFile(fs, "src/a.c"))).toBe("long a;");
    expect(dec(readFile(lower, "src/a.c"))).toBe("int a;");
    expect(dec(readFile(upper, "src/a.c"))).toBe("long a;");
    expect(fs.stat("tool").executable).toBe(true);
    fs.setTimes("tool", 5n, 6n);
    expect(fs.stat("tool").executable).toBe(true);
    expect(fs.stat("tool").mtimeNs).toBe(6n);
  });
  it("deletes leave whiteouts; re-created directories are opaque", () => {
    const { lower, fs } = setup();
    fs.unlink("src/b.c");
    expect(names(fs, "src")).toEqual(["a.c", "sub"]);
    expect(errnoOf(() => fs.stat("src/b.c"))).toBe("NOENT");
    expect(errnoOf(() => fs.rmdir("src/sub"))).toBe("NOTEMPTY");
    fs.unlink("src/sub/c.c");
    fs.rmdir("src/sub");
    expect(names(fs, "src")).toEqual(["a.c"]);
    fs.mkdir("src/sub");
    expect(names(fs, "src/sub")).toEqual([]);
    writeFile(fs, "src/b.c", enc("new b"));
    expect(dec(readFile(fs, "src/b.c"))).toBe("new b");
    expect(names(lower, "src")).toEqual(["a.c", "b.c", "sub"]);
  });
  it("renames move merged trees and hide the source", () => {
    const { fs } = setup();
    writeFile(fs, "src/sub/d.c", enc("int d;"));
    fs.rename("src", "moved");
    expect(errnoOf(() => fs.stat("src"))).toBe("NOENT");
    expect(names(fs, "moved")).toEqual(["a.c", "b.c", "sub"]);
    expect(names(fs, "moved/sub")).toEqual(["c.c", "d.c"]);
    expect(names(fs, "")).toEqual(["moved", "tool"]);
    fs.symlink("moved/a.c", "ln");
    expect(fs.readlink("ln")).toBe("moved/a.c");
    fs.link("tool", "tool2");
    expect(fs.stat("tool2").nlink).toBe(2);
  });
});

describe("walk", () => {
  it("yields the tree parents first, names sorted, with contents, modes and symlink targets", () => {
    const fs = new MemoryFS();
    writeFile(fs, "out/bin/hello", enc("\0asm"), { executable: true });
    writeFile(fs, "out/share/b.txt", enc("b"));
    writeFile(fs, "out/share/a.txt", enc("a"));
    fs.symlink("bin/hello", "out/link");
    const got = [...walk(fs, "out")].map((e) =>
      e.kind === "file" ? `${e.path}:${dec(e.data)}:${e.executable}` : e.kind === "symlink" ? `${e.path}->${e.target}` : `${e.path}/`,
    );
    expect(got).toEqual(["/", "bin/", "bin/hello:\0asm:true", "link->bin/hello", "share/", "share/a.txt:a:false", "share/b.txt:b:false"]);
  });
});
