// Compares the two outputs of each atom that built on both sides, from the store alone: identical
// output (pid changed, cid the same), NAR and closure size with a flag above the threshold, the
// runtime dependency diff, and the file-tree diff — descending only into directories whose digests
// differ, so an unchanged subtree costs one comparison.
import type { Digest } from "../store/digest.ts";
import type { Store } from "../store/store.ts";
import type { DirEntry } from "../store/types.ts";
import type { AtomRow, DepChange, FileChange, SizeChange } from "./types.ts";

export interface CompareOptions {
  sizeThreshold: { percent: number; bytes: number };
  /** Text diffs of modified files. */
  diff: boolean;
}

export function compareRow(r: AtomRow, store: Store, o: CompareOptions): void {
  const b = r.base;
  const h = r.head;
  if (!b || !h || b.cid === null || h.cid === null || b.narSize === null || h.narSize === null) return;
  r.identicalOutput = b.pid !== h.pid && b.cid === h.cid;
  const nar = sizeChange(b.narSize, h.narSize);
  const closure = sizeChange(b.closureSize ?? 0, h.closureSize ?? 0);
  const over = (s: SizeChange) => s.delta >= o.sizeThreshold.bytes && s.delta * 100 > s.base * o.sizeThreshold.percent;
  r.size = { nar, closure, flagged: over(nar) || over(closure) };
  r.deps = depDiff(store, b.storePath, h.storePath);
  const baseClosure = new Set(store.closure([b.storePath]));
  r.closureAdded = store
    .closure([h.storePath])
    .filter((p) => p !== h.storePath && !baseClosure.has(p))
    .reduce((n, p) => n + (store.queryPathInfo(p)?.narSize ?? 0), 0);
  if (b.cid !== h.cid) r.files = treeDiff(store, b.cid as Digest, h.cid as Digest, o.diff);
}

function sizeChange(base: number, head: number): SizeChange {
  return { base, head, delta: head - base };
}

/** `<name>-<version>` of a store path: the version starts at the first dash followed by a digit, as Nix splits it. */
export function splitName(storePath: string): { name: string; version: string } {
  const base = storePath.slice(storePath.lastIndexOf("/") + 1).slice(33);
  const m = /^(.*?)-(\d.*)$/.exec(base);
  return m ? { name: m[1] as string, version: m[2] as string } : { name: base, version: "" };
}

function depDiff(store: Store, basePath: string, headPath: string): DepChange[] {
  const refs = (p: string) => {
    const m = new Map<string, string>();
    for (const r of store.queryPathInfo(p)?.references ?? []) if (r !== p) m.set(splitName(r).name, r);
    return m;
  };
  const x = refs(basePath);
  const y = refs(headPath);
  const out: DepChange[] = [];
  const size = (p: string) => store.queryPathInfo(p)?.narSize ?? 0;
  for (const name of [...new Set([...x.keys(), ...y.keys()])].sort()) {
    const from = x.get(name) ?? null;
    const to = y.get(name) ?? null;
    if (from === to) continue;
    out.push({ change: from === null ? "A" : to === null ? "R" : "U", name, from: from && splitName(from).version, to: to && splitName(to).version, addedSize: to ? size(to) : 0 });
  }
  return out;
}

/** Files that differ between two trees, by path; a subtree present on one side only is one row. */
export function treeDiff(store: Store, a: Digest, b: Digest, withText: boolean, prefix = ""): FileChange[] {
  const da = store.directories.get(a)?.entries ?? [];
  const db = store.directories.get(b)?.entries ?? [];
  const ma = new Map(da.map((e) => [e.name, e]));
  const mb = new Map(db.map((e) => [e.name, e]));
  const out: FileChange[] = [];
  for (const name of [...new Set([...ma.keys(), ...mb.keys()])].sort()) {
    const x = ma.get(name);
    const y = mb.get(name);
    const path = prefix ? (name ? `${prefix}/${name}` : prefix) : name;
    if (!x || !y) {
      out.push({ path, change: x ? "removed" : "added", base: x ? sizeOf(x) : null, head: y ? sizeOf(y) : null });
    } else if (x.kind !== y.kind) {
      out.push({ path, change: "type", base: sizeOf(x), head: sizeOf(y) });
    } else if (x.kind === "directory" && y.kind === "directory") {
      if (x.digest !== y.digest) out.push(...treeDiff(store, x.digest, y.digest, withText, path));
    } else if (x.kind === "file" && y.kind === "file") {
      if (x.digest === y.digest && x.executable === y.executable) continue;
      const c: FileChange = { path, change: "modified", base: x.size, head: y.size };
      if (withText) {
        const d = textDiff(store.blobs.get(x.digest), store.blobs.get(y.digest), path);
        if (d) c.diff = d;
      }
      out.push(c);
    } else if (x.kind === "symlink" && y.kind === "symlink" && x.target !== y.target) {
      out.push({ path, change: "modified", base: null, head: null, diff: `-> ${x.target}\n+> ${y.target}\n` });
    }
  }
  return out;
}

function sizeOf(e: DirEntry): number | null {
  return e.kind === "file" ? e.size : null;
}

const MAX_DIFF_LINES = 4000;

/** A unified diff (3 lines of context) of two UTF-8 texts; null for binary or very long files. */
export function textDiff(a: Uint8Array | null, b: Uint8Array | null, path: string): string | null {
  const text = (x: Uint8Array | null) => {
    if (!x || x.includes(0)) return null;
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(x).split("\n");
    } catch {
      return null;
    }
  };
  const x = text(a);
  const y = text(b);
  if (!x || !y || x.length > MAX_DIFF_LINES || y.length > MAX_DIFF_LINES) return null;
  // Longest common subsequence table, from the end.
  const n = x.length;
  const m = y.length;
  const w = m + 1;
  const t = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) t[i * w + j] = x[i] === y[j] ? (t[(i + 1) * w + j + 1] as number) + 1 : Math.max(t[(i + 1) * w + j] as number, t[i * w + j + 1] as number);
  const ops: Array<[" " | "-" | "+", string]> = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) ops.push([" ", x[i++] as string]), j++;
    else if (i < n && (j >= m || (t[(i + 1) * w + j] as number) >= (t[i * w + j + 1] as number))) ops.push(["-", x[i++] as string]);
    else ops.push(["+", y[j++] as string]);
  }
  // Changed lines with 3 lines of context; "@@" starts each run of kept lines.
  const keep = ops.map((_, k) => ops.slice(Math.max(0, k - 3), k + 4).some((o) => o[0] !== " "));
  const lines = [`--- a/${path}`, `+++ b/${path}`];
  ops.forEach((o, k) => {
    if (!keep[k]) return;
    if (k === 0 || !keep[k - 1]) lines.push("@@");
    lines.push(o[0] + o[1]);
  });
  return lines.join("\n") + "\n";
}
