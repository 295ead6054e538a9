// FilteredFS, the per-step view of the builder's work directories: only the paths of the view (with
// all below them), the directories above them, and what the guest creates; hidden entries are never
// read, listed or overwritten.
import { describe, expect, it } from "vitest";
import { FilteredFS, MemoryFS, mkdirp, readFile, writeFile } from "../../src/runtime/index.ts";
import { dec, enc, errnoOf } from "./helpers.ts";


function tree(): MemoryFS {
  const fs = new MemoryFS();
  for (const [p, t] of Object.entries({ "src/a.c": "a", "src/a.h": "ah", "src/secret.h": "s", "src/sub/b.h": "bh", "inc/x.h": "x", "obj/lib/other.o": "o" })) {
    mkdirp(fs, p.slice(0, p.lastIndexOf("/")));
    writeFile(fs, p, enc(t));
  }
  return fs;
}

describe("FilteredFS", () => {
  it("shows the view's paths, the directories above them (listing only what is shown) and subtrees whole", () => {
    const v = new FilteredFS(tree(), { paths: ["src/a.c", "src/a.h", "inc", "obj/lib/a.o"], dirs: ["work/here"] });
    expect(dec(readFile(v, "src/a.h"))).toBe("ah");
    expect(v.readdir("").map((e) => e.name).sort()).toEqual(["inc", "obj", "src"]);
    expect(v.readdir("src").map((e) => e.name)).toEqual(["a.c", "a.h"]);
    expect(v.readdir("inc").map((e) => e.name)).toEqual(["x.h"]);
    expect(v.readdir("obj/lib")).toEqual([]);
    for (const p of ["src/secret.h", "src/sub", "src/sub/b.h", "obj/lib/other.o"]) expect(errnoOf(() => v.stat(p)), p).toBe("NOENT");
    expect(errnoOf(() => v.open("src/secret.h"))).toBe("NOENT");
    expect(errnoOf(() => v.readdir("src/sub"))).toBe("NOENT");
    expect(errnoOf(() => v.unlink("src/secret.h"))).toBe("NOENT");
  });

  it("lets the guest create, write and rename in shown directories; a hidden name is never overwritten", () => {
    const inner = tree();
    const v = new FilteredFS(inner, { paths: ["src/a.c", "obj/lib/a.o"] });
    const h = v.open("obj/lib/a.o-tmp", { write: true, create: true, exclusive: true });
    h.write(enc("object"), 0);
    h.close();
    expect(v.readdir("obj/lib").map((e) => e.name)).toEqual(["a.o-tmp"]);
    v.rename("obj/lib/a.o-tmp", "obj/lib/a.o");
    expect(dec(readFile(inner, "obj/lib/a.o"))).toBe("object");
    expect(errnoOf(() => v.open("obj/lib/other.o", { write: true, create: true, truncate: true }))).toBe("ACCES");
    expect(errnoOf(() => v.rename("obj/lib/a.o", "obj/lib/other.o"))).toBe("ACCES");
    expect(errnoOf(() => v.symlink("x", "src/secret.h"))).toBe("ACCES");
    expect(dec(readFile(inner, "obj/lib/other.o"))).toBe("o");
    // mkdir -p over a hidden directory: EEXIST, and the directory shows, still without its hidden entries.
    expect(errnoOf(() => v.mkdir("src/sub"))).toBe("EXIST");
    expect(v.readdir("src/sub")).toEqual([]);
    v.mkdir("src/new");
    writeFile(v, "src/new/f", enc("f"));
    expect(v.readdir("src/new").map((e) => e.name)).toEqual(["f"]);
  });

  it("a view of the root shows everything", () => {
    const v = new FilteredFS(tree(), { paths: [""] });
    expect(dec(readFile(v, "src/sub/b.h"))).toBe("bh");
    expect(v.readdir("src").length).toBe(4);
  });
});
