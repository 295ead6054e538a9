/**
 * Text files of a git work tree read as git stores them. A checkout's line endings depend on the
 * machine (`core.autocrlf=true`, Git for Windows' default, and `core.eol` write CRLF), so a path
 * source inside a work tree is hashed with the CRLF → LF conversion `git add` would make: a
 * Windows checkout then gives the pid and cid of the Linux one.
 *
 * eka never decides on its own what is text. For each file holding CRLF it proposes the file with
 * every CRLF made LF and keeps that only when git agrees byte for byte: `git hash-object` (git's
 * clean conversion, by the repository's attributes and config) must give the object id of the
 * proposal, and, where git's conversion is the automatic one (`text=auto`, `core.autocrlf`), the
 * file's index entry must not hold CRLF (git's "safer autocrlf" keeps those as they are, which
 * hash-object alone does not know). Anything else (a file git treats as binary, a filter, `ident`,
 * another encoding, git missing or refusing the repository) is read as it is on disk. Files without
 * CRLF cost one read and no git process.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { gitSync } from "../util/git.node.ts";

/** Disk path below the root ("/"-separated; "" for a file read alone) → its size once converted. */
export type LfPlan = ReadonlyMap<string, number>;

const NONE: LfPlan = new Map();
const CR = 0x0d;
const LF = 0x0a;
const CHUNK = 1 << 20;

/** The files below directory `dir` that git stores with LF where the work tree has CRLF. */
export function lfPlanOfTree(dir: string): LfPlan {
  if (!inGitWorkTree(dir)) return NONE;
  const candidates: Candidate[] = [];
  const walk = (rel: string) => {
    for (const d of fs.readdirSync(rel === "" ? dir : path.join(dir, rel), { withFileTypes: true })) {
      if (d.name === ".git") continue;
      const r = rel === "" ? d.name : `${rel}/${d.name}`;
      if (d.isDirectory()) walk(r);
      else if (d.isFile()) addCandidate(candidates, r, path.join(dir, r));
    }
  };
  walk("");
  return decide(dir, candidates);
}

/** The plan of one file read alone (its key is ""). */
export function lfPlanOfFile(file: string): LfPlan {
  const dir = path.dirname(file);
  if (!inGitWorkTree(dir)) return NONE;
  const candidates: Candidate[] = [];
  addCandidate(candidates, path.basename(file), file);
  const plan = decide(dir, candidates);
  const size = plan.get(path.basename(file));
  return size === undefined ? NONE : new Map([["", size]]);
}

/** `chunks` with every CRLF made LF (a CR at a chunk's end waits for the next); fresh arrays. */
export function* toLf(chunks: Iterable<Uint8Array>): Generator<Uint8Array> {
  let heldCr = false;
  for (const c of chunks) {
    if (c.length === 0) continue;
    const b = Buffer.from(c.buffer, c.byteOffset, c.length);
    const arr = new Uint8Array(c.length + 1);
    const out = Buffer.from(arr.buffer);
    let n = 0;
    if (heldCr && b[0] !== LF) out[n++] = CR;
    heldCr = false;
    let from = 0;
    for (let cr = b.indexOf(CR); cr !== -1; cr = b.indexOf(CR, cr + 1)) {
      if (cr === b.length - 1) {
        heldCr = true;
      } else if (b[cr + 1] !== LF) {
        continue;
      }
      n += b.copy(out, n, from, cr);
      from = cr + 1;
    }
    n += b.copy(out, n, from);
    if (n > 0) yield arr.subarray(0, n);
  }
  if (heldCr) yield Uint8Array.of(CR);
}

export function toLfBytes(data: Uint8Array): Uint8Array {
  const parts = [...toLf([data])];
  return parts.length === 1 ? (parts[0] as Uint8Array) : new Uint8Array(Buffer.concat(parts));
}

interface Candidate {
  rel: string;
  abs: string;
  size: number;
  crlfs: number;
}

/** Whether `dir` is inside a git work tree: a `.git` (directory, or file of a worktree) above it. */
function inGitWorkTree(dir: string): boolean {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, ".git"))) return true;
    if (path.dirname(d) === d) return false;
  }
}

function addCandidate(out: Candidate[], rel: string, abs: string): void {
  let size = 0;
  let crlfs = 0;
  let lastCr = false;
  for (const c of fileChunks(abs)) {
    const b = Buffer.from(c.buffer, c.byteOffset, c.length);
    if (lastCr && b[0] === LF) crlfs++;
    for (let i = b.indexOf(CR); i !== -1 && i < b.length - 1; i = b.indexOf(CR, i + 1)) if (b[i + 1] === LF) crlfs++;
    lastCr = b[b.length - 1] === CR;
    size += b.length;
  }
  if (crlfs > 0) out.push({ rel, abs, size, crlfs });
}

/** The candidates git agrees to store with LF. */
function decide(dir: string, candidates: Candidate[]): LfPlan {
  if (candidates.length === 0) return NONE;
  const plan = new Map<string, number>();
  for (const batch of batches(candidates)) {
    const rels = batch.map((c) => c.rel);
    const ids = gitSync(["hash-object", "--", ...rels], dir)?.split("\n");
    const eol = gitSync(["--literal-pathspecs", "ls-files", "--eol", "-z", "--", ...rels], dir);
    if (!ids || eol === null) return NONE;
    const index = indexEol(eol);
    batch.forEach((c, i) => {
      const id = ids[i] ?? "";
      const algo = id.length === 40 ? "sha1" : id.length === 64 ? "sha256" : undefined;
      if (!algo) return;
      const lfSize = c.size - c.crlfs;
      const h = createHash(algo).update(`blob ${lfSize}\0`);
      for (const part of toLf(fileChunks(c.abs))) h.update(part);
      if (h.digest("hex") !== id) return;
      const e = index.get(c.rel);
      if (e && e.auto && e.indexCrlf) return;
      plan.set(c.rel, lfSize);
    });
  }
  return plan;
}

/**
 * `git ls-files --eol -z` output: per tracked path, whether its index blob is text holding CRLF
 * (`i/crlf`, `i/mixed`) and whether its conversion is the automatic one (attribute `text=auto`, or
 * none, which leaves it to core.autocrlf).
 */
function indexEol(out: string): Map<string, { indexCrlf: boolean; auto: boolean }> {
  const m = new Map<string, { indexCrlf: boolean; auto: boolean }>();
  for (const rec of out.split("\0")) {
    const tab = rec.indexOf("\t");
    if (tab < 0) continue;
    const info = /^i\/(\S*)\s+w\/\S*\s+attr\/(.*)$/.exec(rec.slice(0, tab));
    if (!info) continue;
    const attr = (info[2] ?? "").trim();
    m.set(rec.slice(tab + 1), { indexCrlf: info[1] === "crlf" || info[1] === "mixed", auto: attr === "" || attr.startsWith("text=auto") });
  }
  return m;
}

/** Candidates in groups whose names fit one command line (Windows allows 32 K characters). */
function* batches(cs: Candidate[]): Generator<Candidate[]> {
  let batch: Candidate[] = [];
  let chars = 0;
  for (const c of cs) {
    if (batch.length > 0 && chars + c.rel.length > 24_000) {
      yield batch;
      batch = [];
      chars = 0;
    }
    batch.push(c);
    chars += c.rel.length + 1;
  }
  if (batch.length > 0) yield batch;
}

function* fileChunks(file: string): Generator<Uint8Array> {
  const fd = fs.openSync(file, "r");
  try {
    for (;;) {
      const buf = new Uint8Array(CHUNK);
      const n = fs.readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) return;
      yield n === CHUNK ? buf : buf.subarray(0, n);
    }
  } finally {
    fs.closeSync(fd);
  }
}
