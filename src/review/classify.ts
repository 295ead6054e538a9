// Classifies the atoms of two evaluated revisions by (atom id, host): added, removed, unchanged
// (same pid), changed (with the reasons, following the first differing input of the IR), or an
// evaluation error. A moved directory keeps its id, so it is not an add plus a remove.
import { storePathOf } from "../ir/pid.ts";
import type { PackageIR, SourceSpec } from "../ir/types.ts";
import type { AtomRow, Change, EvaluatedAtom, EvaluationError, Reason } from "./types.ts";

/** One side of the review: its atoms (with their IR) and what did not evaluate. */
export interface Evaluation {
  atoms: Array<{ atom: EvaluatedAtom; ir: PackageIR }>;
  errors: EvaluationError[];
}

/** A row before anything is built; `depth` is the length of its dependency chain (0: changed itself). */
export interface Classified {
  row: AtomRow;
  headIR: PackageIR | null;
  baseIR: PackageIR | null;
  depth: number;
}

export function classify(base: Evaluation, head: Evaluation): Classified[] {
  const hosts = new Map<string, Set<string>>();
  for (const s of [base, head]) for (const a of s.atoms) (hosts.get(a.atom.id) ?? hosts.set(a.atom.id, new Set()).get(a.atom.id))?.add(a.atom.host);
  const multi = (id: string) => (hosts.get(id)?.size ?? 0) > 1;
  const keyOf = (id: string, host: string) => (multi(id) && host !== "*" ? `${id}/${host}` : id);
  const index = (s: Evaluation) => {
    const m = new Map<string, { atom: EvaluatedAtom; ir: PackageIR }>();
    for (const a of s.atoms) m.set(`${a.atom.id}\0${a.atom.host}`, a);
    return m;
  };
  const b = index(base);
  const h = index(head);
  const out: Classified[] = [];
  const headErrorKeys = new Set<string>();
  for (const e of head.errors) {
    const key = `${e.id}\0${e.host}`;
    headErrorKeys.add(key);
    const prev = b.get(key) ?? null;
    out.push({ row: row(keyOf(e.id, e.host), e.id, e.host, "evaluation-error", prev ? side(prev.atom) : null, null, { evaluationError: { dir: e.dir, code: e.code, message: e.message } }), headIR: null, baseIR: prev?.ir ?? null, depth: 0 });
  }
  for (const [key, hb] of h) {
    const { atom } = hb;
    const prev = b.get(key);
    if (!prev) {
      out.push({ row: row(keyOf(atom.id, atom.host), atom.id, atom.host, "added", null, side(atom)), headIR: hb.ir, baseIR: null, depth: 0 });
      continue;
    }
    const moved = prev.atom.dir !== atom.dir ? { from: prev.atom.dir, to: atom.dir } : null;
    const same = prev.atom.pid === atom.pid;
    const reasons = same ? [] : reasonsOf(prev.ir, hb.ir);
    const r = row(keyOf(atom.id, atom.host), atom.id, atom.host, same ? "unchanged" : "changed", side(prev.atom), side(atom), { reasons, moved });
    out.push({ row: r, headIR: hb.ir, baseIR: prev.ir, depth: chainDepth(reasons) });
  }
  for (const [key, pb] of b) {
    if (h.has(key) || headErrorKeys.has(key)) continue;
    out.push({ row: row(keyOf(pb.atom.id, pb.atom.host), pb.atom.id, pb.atom.host, "removed", side(pb.atom), null), headIR: null, baseIR: pb.ir, depth: 0 });
  }
  // A base-side evaluation error whose atom evaluates at head is a fix: a changed row without a base pid.
  for (const e of base.errors) {
    const key = `${e.id}\0${e.host}`;
    const c = out.find((x) => `${x.row.id}\0${x.row.host}` === key && x.row.change === "added");
    if (c) c.row.change = "changed";
  }
  // Blast radius: changed or added atoms that depend on it (same host).
  const moving = out.filter((c) => c.row.change === "changed" || c.row.change === "added");
  for (const c of moving) {
    c.row.blastRadius = moving.filter((d) => d !== c && d.row.host === c.row.host && h.get(`${d.row.id}\0${d.row.host}`)?.atom.deps.includes(c.row.id)).length;
  }
  return out.sort((x, y) => (x.row.key < y.row.key ? -1 : x.row.key > y.row.key ? 1 : 0));
}

/**
 * Every differing input of two IRs of one atom, in the order a reader looks for the cause:
 * version, sources (path sources by hash; url and git pins are the lock's), dependencies (with
 * the chain down to the first dependency that changed by itself), then flags and config.
 */
export function reasonsOf(base: PackageIR, head: PackageIR): Reason[] {
  const reasons: Reason[] = [];
  if (base.version !== head.version) reasons.push({ kind: "version", from: base.version, to: head.version });
  for (const name of [...new Set([...Object.keys(base.sources), ...Object.keys(head.sources)])].sort()) {
    const x = base.sources[name];
    const y = head.sources[name];
    if (!x || !y) continue;
    if (y.kind === "path" && x.kind === "path") {
      if (x.hash !== y.hash) reasons.push({ kind: "source", name, from: x.hash, to: y.hash });
    } else if (pinOf(x) !== pinOf(y)) reasons.push({ kind: "lock", name, from: pinOf(x), to: pinOf(y) });
  }
  for (const name of Object.keys(head.inputs).sort()) {
    const x = base.inputs[name];
    const y = head.inputs[name];
    if (typeof x !== "object" || typeof y !== "object") continue;
    if (storePathOf(x) === storePathOf(y)) continue;
    const inner = reasonsOf(x, y);
    const first: Reason = inner[0] ?? { kind: "config", field: "inputs" };
    if (first.kind === "dependency") reasons.push({ kind: "dependency", atom: y.name, chain: `${head.name} ← ${first.chain}`, root: first.root });
    else reasons.push({ kind: "dependency", atom: y.name, chain: `${head.name} ← ${y.name} ${describe(first)}`, root: first });
  }
  for (const field of configFields(base, head)) reasons.push({ kind: "config", field });
  return reasons;
}

/** One line for a reason, as review.md shows it. */
export function describe(r: Reason): string {
  switch (r.kind) {
    case "version":
      return `${r.from}→${r.to}`;
    case "source":
      return `source ${r.name} ${short(r.from)}→${short(r.to)}`;
    case "lock":
      return `lock ${r.name} ${short(r.from)}→${short(r.to)}`;
    case "dependency":
      return r.chain;
    case "config":
      return `${r.field} changed`;
  }
}

function short(s: string): string {
  const m = /^(blake3|sha256):([0-9a-f]+)$/.exec(s);
  return m ? `${m[1]}:${(m[2] as string).slice(0, 8)}` : s;
}

function pinOf(s: SourceSpec): string {
  return s.kind === "git" ? `${s.url}#${s.rev}` : s.kind === "url" ? `${s.url} ${s.hash}` : s.hash;
}

/**
 * The other IR fields that differ once the inputs' store paths and the version are taken out
 * (those are reported above): steps (flags), env, config, platform, the input set, the seed.
 */
function configFields(base: PackageIR, head: PackageIR): string[] {
  const norm = (ir: PackageIR, v: unknown) => {
    let s = JSON.stringify(v);
    for (const [name, inp] of Object.entries(ir.inputs)) s = s.split(typeof inp === "string" ? inp : storePathOf(inp)).join(`{${name}}`);
    return s.split(ir.version).join("{version}");
  };
  const fields: string[] = [];
  const seed = (ir: PackageIR) => (typeof ir.inputs.seed === "string" ? ir.inputs.seed : "");
  if (seed(base) !== seed(head)) fields.push("seed");
  if (Object.keys(base.inputs).sort().join() !== Object.keys(head.inputs).sort().join()) fields.push("inputs");
  if (Object.keys(base.sources).sort().join() !== Object.keys(head.sources).sort().join()) fields.push("sources");
  for (const f of ["platform", "config", "env", "steps"] as const) if (norm(base, base[f]) !== norm(head, head[f])) fields.push(f === "steps" ? "flags" : f);
  return fields;
}

function chainDepth(reasons: Reason[]): number {
  if (reasons.length === 0 || reasons.some((r) => r.kind !== "dependency")) return 0;
  return Math.min(...reasons.map((r) => (r.kind === "dependency" ? r.chain.split(" ← ").length - 1 : 0)));
}

function side(a: EvaluatedAtom): AtomRow["head"] {
  return { version: a.version, dir: a.dir, pid: a.pid, storePath: a.storePath, status: "not-built", cid: null, narSize: null, closureSize: null };
}

function row(key: string, id: string, host: string, change: Change, base: AtomRow["base"], head: AtomRow["head"], more: Partial<AtomRow> = {}): AtomRow {
  return {
    key,
    id,
    host,
    change,
    category: change === "evaluation-error" ? "evaluation-error" : change === "added" ? "added" : change === "removed" ? "removed" : change === "unchanged" ? "unchanged" : "not-built",
    base,
    head,
    reasons: [],
    blastRadius: 0,
    moved: null,
    identicalOutput: false,
    size: null,
    deps: [],
    closureAdded: null,
    files: [],
    failure: null,
    evaluationError: null,
    notBuilt: null,
    ...more,
  };
}
