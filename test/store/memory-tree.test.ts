// MemoryTree, the one in-memory tree: what put() makes of paths, and that a tree survives a NAR
// round trip (narDump → narParse back into a MemoryTree) byte for byte.
import { describe, expect, it } from "vitest";
import { MemoryTree, narDump, narParse, openStore } from "../../src/store/index.ts";
import { concatBytes } from "../../src/util/bytes.ts";
import { fixtures, memoryFixture } from "./fixtures.ts";

const enc = (s: string) => new TextEncoder().encode(s);

describe("MemoryTree", () => {
  it("put makes parents, keeps a directory's contents when a directory is put again, and refuses paths that escape", () => {
    const t = new MemoryTree();
    expect(t.stat("")).toEqual({ kind: "directory", size: 0, executable: false });
    t.put("./src/lib/a.c", { kind: "file", data: enc("int a;"), executable: false });
    t.put("src/", { kind: "directory" });
    t.put("bin/run", { kind: "file", data: enc("#!"), executable: true });
    t.put("src/link", { kind: "symlink", target: "lib/a.c" });
    expect(t.readdir("")).toEqual(["bin", "src"]);
    expect(t.readdir("src")).toEqual(["lib", "link"]);
    expect(t.stat("bin/run")).toEqual({ kind: "file", size: 2, executable: true });
    expect(t.readlink("src/link")).toBe("lib/a.c");
    expect(t.entry("src/lib")).toEqual({ kind: "directory" });
    expect(() => t.put("../x", { kind: "directory" })).toThrow(/leaves its tree/);
    expect(() => t.put("bin/run/x", { kind: "directory" })).toThrow(/not a directory/);
    t.remove("src/lib");
    expect(t.stat("src/lib/a.c")).toBeNull();
    expect(t.subtree("src")?.readdir("")).toEqual(["link"]);
    expect(t.subtree("bin/run")).toBeNull();
  });

  it("names come back in byte order whatever order they were put in", () => {
    const t = new MemoryTree();
    for (const n of ["b", "a-b", "Z", "ünï", "a"]) t.put(n, { kind: "file", data: enc(n), executable: false });
    expect(t.readdir("")).toEqual(["Z", "a", "a-b", "b", "ünï"]);
  });

  for (const [name, f] of Object.entries(fixtures)) {
    it(`fixture '${name}' survives narDump → narParse into a MemoryTree, and stores as the same cid`, async () => {
      const store = await openStore("memory:");
      const t = await memoryFixture(f);
      const nar = concatBytes([...narDump(t)]);
      const back = new MemoryTree();
      await narParse([nar], back);
      expect(concatBytes([...narDump(back)])).toEqual(nar);
      expect(store.addTree(back)).toBe(store.addTree(t));
    });
  }
});
