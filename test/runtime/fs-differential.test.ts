// Differential test of the FileSystem implementations: the same seeded random sequence of
// operations on MemoryFS, NodeDirFS (a real directory) and OverlayFS (over a populated lower
// layer, and over an empty one) must give the same outcome, errno for errno, and the same tree.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FsError, MemoryFS, OverlayFS, ReadOnlyFS, walk, writeFile, type FileSystem } from "../../src/runtime/index.ts";
import { NodeDirFS } from "../../src/runtime/nodefs.node.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const enc = (s: string) => new TextEncoder().encode(s);
const NAMES = ["a", "b", "c", "a/x", "a/y", "b/x", "a/x/deep", "c/z"];

function seed(fs: FileSystem): void {
  writeFile(fs, "a/x/deep", enc("deep"));
  writeFile(fs, "b/file", enc("b-file"));
  fs.symlink("b/file", "ln");
}

function rng(seedValue: number): () => number {
  let s = seedValue >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

type Op = { name: string; paths: string[]; run: (fs: FileSystem) => unknown };

function ops(seedValue: number, count: number): Op[] {
  const r = rng(seedValue);
  const pick = <T,>(xs: T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const out: Op[] = [];
  for (let i = 0; i < count; i++) {
    const p = pick(NAMES);
    const q = pick(NAMES);
    const text = `v${i}`;
    out.push({
      paths: [p, q],
      ...pick<Omit<Op, "paths">>([
        { name: `mkdir ${p}`, run: (fs) => fs.mkdir(p) },
        { name: `rmdir ${p}`, run: (fs) => fs.rmdir(p) },
        { name: `unlink ${p}`, run: (fs) => fs.unlink(p) },
        { name: `write ${p}`, run: (fs) => {
          const h = fs.open(p, { write: true, create: true, truncate: true });
          h.write(enc(text), 0);
          h.close();
        } },
        { name: `append ${p}`, run: (fs) => {
          const h = fs.open(p, { write: true });
          h.write(enc(text), h.size());
          h.close();
        } },
        { name: `excl ${p}`, run: (fs) => fs.open(p, { write: true, create: true, exclusive: true }).close() },
        { name: `rename ${p} ${q}`, run: (fs) => fs.rename(p, q) },
        { name: `symlink ${p}`, run: (fs) => fs.symlink(`../${q}`, p) },
        { name: `link ${p} ${q}`, run: (fs) => fs.link(p, q) },
        { name: `stat ${p}`, run: (fs) => { const s = fs.stat(p); return `${s.kind}:${s.kind === "file" ? s.size : ""}:${s.nlink}`; } },
        { name: `readdir ${p}`, run: (fs) => fs.readdir(p).map((e) => `${e.name}:${e.kind}`).sort().join(",") },
        { name: `readlink ${p}`, run: (fs) => fs.readlink(p) },
      ]),
    });
  }
  return out;
}

function outcome(f: () => unknown): string {
  try {
    const v = f();
    return `ok${v === undefined ? "" : ` ${String(v)}`}`;
  } catch (e) {
    if (e instanceof FsError) return `E${e.errno}`;
    throw e;
  }
}

function throughSymlink(fs: FileSystem, path: string): boolean {
  const parts = path.split("/");
  for (let i = 1; i < parts.length; i++) {
    try {
      if (fs.stat(parts.slice(0, i).join("/")).kind === "symlink") return true;
    } catch {
      return false;
    }
  }
  return false;
}

function tree(fs: FileSystem): string[] {
  return [...walk(fs)].map((e) => (e.kind === "file" ? `${e.path}=${new TextDecoder().decode(e.data)}` : e.kind === "symlink" ? `${e.path}->${e.target}` : `${e.path}/`));
}

const makers: [string, (populated: boolean) => FileSystem][] = [
  ["MemoryFS", (populated) => { const fs = new MemoryFS(); if (populated) seed(fs); return fs; }],
  ["NodeDirFS", (populated) => {
    const d = mkdtempSync(join(tmpdir(), "eka-fsdiff-"));
    dirs.push(d);
    const fs = new NodeDirFS(d);
    if (populated) seed(fs);
    return fs;
  }],
  ["OverlayFS", (populated) => {
    const lower = new MemoryFS();
    if (populated) seed(lower);
    return new OverlayFS(new ReadOnlyFS(lower), new MemoryFS());
  }],
];

describe.each([false, true])("random operations (populated start: %s)", (populated) => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])("seed %i: every implementation agrees with MemoryFS", (s) => {
    const sequence = ops(s * 7919 + (populated ? 1 : 0), 400);
    const systems = makers.map(([name, make]) => ({ name, fs: make(populated), log: [] as string[] }));
    const refFs = systems[0]?.fs as FileSystem;
    for (const op of sequence) {
      // The interface contract: callers resolve symlinks, so no path goes through one.
      if (op.paths.some((p) => throughSymlink(refFs, p))) continue;
      for (const s of systems) s.log.push(`${op.name} → ${outcome(() => op.run(s.fs))}`);
    }
    const results = systems.map((s) => ({ name: s.name, log: s.log, tree: tree(s.fs) }));
    const [ref, ...others] = results;
    for (const o of others) {
      const i = o.log.findIndex((l, k) => l !== ref?.log[k]);
      expect(i === -1 ? null : { at: i, [o.name]: o.log[i], MemoryFS: ref?.log[i] }).toBeNull();
      expect(o.tree).toEqual(ref?.tree);
    }
  });
});
