// Named tree fixtures shared by the store tests: each can be written to a host directory or used
// as an in-memory TreeReader.
import * as fs from "node:fs";
import * as path from "node:path";
import { MemoryTree } from "../../src/store/index.ts";

export type Spec = { [name: string]: string | Uint8Array | { exec: string } | { link: string } | Spec };

export const fixtures: Record<string, Spec | { file: string } | { rootLink: string }> = {
  "flat files": { "a.txt": "hello\n", "b.txt": "world\n", "empty": "" },
  "executables": { bin: { tool: { exec: "#!/bin/sh\necho hi\n" } }, "data": "not exec\n" },
  "symlinks": { target: "t\n", rel: { link: "target" }, abs: { link: "/nix/store/whatever" }, dangling: { link: "nope/none" }, dir: { up: { link: "../target" } } },
  "empty directories": { e: {}, f: { g: {} } },
  "non-ASCII names": { "ünïcødé.txt": "ü\n", "日本": { "語.txt": "x" }, "Z": "upper", "a": "lower", "a-b": "dash" },
  "single file root": { file: "just a file\n" },
  "symlink root": { rootLink: "somewhere/else" },
  "nested and binary": { x: { y: { z: { deep: new Uint8Array(10000).map((_, i) => (i * 7) & 0xff) } } }, "odd": "1234567" },
};

export function writeFixture(dir: string, f: (typeof fixtures)[string]): string {
  if ("file" in f && typeof f.file === "string") {
    fs.writeFileSync(dir, f.file);
    return dir;
  }
  if ("rootLink" in f && typeof f.rootLink === "string") {
    fs.symlinkSync(f.rootLink, dir);
    return dir;
  }
  writeSpec(dir, f as Spec);
  return dir;
}

function writeSpec(dir: string, spec: Spec): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, v] of Object.entries(spec)) {
    const p = path.join(dir, name);
    if (typeof v === "string" || v instanceof Uint8Array) fs.writeFileSync(p, v, { mode: 0o644 });
    else if ("exec" in v && typeof v.exec === "string") fs.writeFileSync(p, v.exec, { mode: 0o755 });
    else if ("link" in v && typeof v.link === "string") fs.symlinkSync(v.link, p);
    else writeSpec(p, v as Spec);
  }
}

/** The same fixture as an in-memory tree (built through the NAR sink interface). */
export async function memoryFixture(f: (typeof fixtures)[string]): Promise<MemoryTree> {
  const t = new MemoryTree();
  const bytes = (s: string | Uint8Array) => (typeof s === "string" ? new TextEncoder().encode(s) : s);
  async function* one(b: Uint8Array) {
    yield b;
  }
  if ("file" in f && typeof f.file === "string") {
    await t.file("", false, 0, one(bytes(f.file)));
    return t;
  }
  if ("rootLink" in f && typeof f.rootLink === "string") {
    t.symlink("", f.rootLink);
    return t;
  }
  const walk = async (p: string, spec: Spec) => {
    t.directory(p);
    for (const [name, v] of Object.entries(spec)) {
      const sub = p === "" ? name : `${p}/${name}`;
      if (typeof v === "string" || v instanceof Uint8Array) await t.file(sub, false, 0, one(bytes(v)));
      else if ("exec" in v && typeof v.exec === "string") await t.file(sub, true, 0, one(bytes(v.exec)));
      else if ("link" in v && typeof v.link === "string") t.symlink(sub, v.link);
      else await walk(sub, v as Spec);
    }
  };
  await walk("", f as Spec);
  return t;
}
