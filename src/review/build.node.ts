// Node-only: builds what a review needs — the changed and added atoms of HEAD (with what they
// depend on) as one graph through buildPreparedEach, and the base side per --base — and fills
// each row's build statuses and category. Pids already in the store are not rebuilt.
import { buildStateFor } from "../builder/index.node.ts";
import type { ProgressEvent } from "../builder/types.ts";
import { isEkaError } from "../errors.ts";
import { inputNodes, pidOf, storePathOf } from "../ir/pid.ts";
import type { PackageIR } from "../ir/types.ts";
import type { Store } from "../store/store.ts";
import { buildPreparedEach, type PreparedAtom } from "../cli/atoms.ts";
import type { Classified } from "./classify.ts";
import type { SideEvaluation } from "./evaluate.node.ts";
import type { AtomRow, Side } from "./types.ts";

export interface ReviewBuildOptions {
  base: "build" | "cached" | "none";
  only: string[];
  skip: string[];
  depth: number | null;
  maxBuilds: number | null;
  jobs?: number;
  onProgress?: (e: ProgressEvent) => void;
  signal?: AbortSignal;
}

/** Chooses what to build (--only, --skip, --depth, --max-builds), builds it, and categorises every row. */
export async function buildReview(cs: Classified[], head: SideEvaluation, base: SideEvaluation, store: Store, o: ReviewBuildOptions): Promise<void> {
  const moving = cs.filter((c) => c.row.head && (c.row.change === "changed" || c.row.change === "added"));
  const chosen: Classified[] = [];
  for (const c of moving) {
    const why = o.only.length && !o.only.some((g) => globMatch(g, c.row.id) || globMatch(g, c.row.key)) ? "not named by --only" : o.skip.some((g) => globMatch(g, c.row.id) || globMatch(g, c.row.key)) ? "matched --skip" : o.depth !== null && c.depth > o.depth ? `dependency chain longer than --depth ${o.depth}` : null;
    if (why) c.row.notBuilt = why;
    else chosen.push(c);
  }
  // Highest blast radius first, so a --max-builds budget goes where most atoms wait on it.
  chosen.sort((a, b) => b.row.blastRadius - a.row.blastRadius || (a.row.key < b.row.key ? -1 : 1));
  if (o.maxBuilds !== null) for (const c of chosen.splice(o.maxBuilds)) c.row.notBuilt = `beyond --max-builds ${o.maxBuilds}`;

  const byHeadPath = new Map<string, string>();
  for (const c of cs) if (c.row.head) byHeadPath.set(c.row.head.storePath, c.row.key);
  const opts = { store, ...(o.jobs ? { jobs: o.jobs } : {}), ...(o.onProgress ? { onProgress: o.onProgress } : {}), ...(o.signal ? { signal: o.signal } : {}) };

  await buildSide(chosen, (c) => head.prepared.get(`${c.row.id}\0${c.row.host}`), (r) => r.head, byHeadPath, opts);

  // The base side of what was built: from the store; a pid with a log but no output failed before.
  const state = buildStateFor(store);
  const toBuild: Classified[] = [];
  for (const c of chosen) {
    const b = c.row.base;
    if (!b) continue;
    if (o.base === "none") b.status = "unknown";
    else if (fill(b, store)) b.status = "cached";
    else if (o.base === "build") toBuild.push(c);
    else b.status = (c.baseIR && failedBefore(c.baseIR, store, state)) ?? "unknown";
  }
  const byBasePath = new Map<string, string>();
  for (const c of cs) if (c.row.base) byBasePath.set(c.row.base.storePath, c.row.key);
  // A second graph: a base and a head atom of the same id and version (a change without a version
  // bump) name their path sources alike, and one graph maps each name to one directory.
  await buildSide(toBuild, (c) => base.prepared.get(`${c.row.id}\0${c.row.host}`), (r) => r.base, byBasePath, opts);

  for (const c of cs) c.row.category = categoryOf(c.row);
}

async function buildSide(
  cs: Classified[],
  prepared: (c: Classified) => PreparedAtom | undefined,
  sideOf: (r: AtomRow) => Side | null,
  keyOfPath: Map<string, string>,
  opts: Parameters<typeof buildPreparedEach>[1],
): Promise<void> {
  const list = cs.map((c) => ({ c, p: prepared(c) })).filter((x): x is { c: Classified; p: PreparedAtom } => x.p !== undefined);
  if (list.length === 0) return;
  const outcomes = await buildPreparedEach(
    list.map((x) => x.p),
    opts,
  );
  list.forEach(({ c }, i) => {
    const side = sideOf(c.row) as Side;
    const out = outcomes[i]?.[0];
    if (!out) return;
    if (out.ok) {
      side.status = out.result.built ? "built" : "cached";
      fill(side, opts.store);
      return;
    }
    const own = out.failed.storePath === side.storePath;
    side.status = own ? "failed" : "dep-failed";
    if (sideOf(c.row) === c.row.head) {
      const e = out.error;
      // A user-caused failure is a row; anything else is a bug and stops the review (exit 70).
      if (!isEkaError(e)) throw e;
      c.row.failure = {
        root: own ? c.row.key : (keyOfPath.get(out.failed.storePath) ?? out.failed.name),
        package: out.failed.name,
        storePath: out.failed.storePath,
        code: e.code,
        message: e.message,
      };
    }
  });
}

/** Fills a side's output facts from the store; false when its store path is not there. */
function fill(side: Side, store: Store): boolean {
  const info = store.queryPathInfo(side.storePath);
  if (!info) return false;
  side.cid = info.cid;
  side.narSize = info.narSize;
  side.closureSize = store.closure([side.storePath]).reduce((n, p) => n + (store.queryPathInfo(p)?.narSize ?? 0), 0);
  return true;
}

/**
 * What an earlier build in this store says of a pid it lacks: a log without an output is a failed
 * build; a dependency's failure makes it dep-failed; else nothing is known.
 */
function failedBefore(ir: PackageIR, store: Store, state: { readLog(k: string): string | null }, seen = new Set<PackageIR>()): "failed" | "dep-failed" | null {
  seen.add(ir);
  const path = storePathOf(ir);
  if (store.queryPathInfo(path)) return null;
  if (state.readLog(pidOf(ir)) !== null) return "failed";
  for (const d of inputNodes(ir)) if (!seen.has(d) && failedBefore(d, store, state, seen)) return "dep-failed";
  return null;
}

const failing = (s: Side | null) => s !== null && (s.status === "failed" || s.status === "dep-failed");

function categoryOf(r: AtomRow): AtomRow["category"] {
  if (r.change === "evaluation-error" || r.change === "removed" || r.change === "unchanged") return r.category;
  if (r.notBuilt || !r.head) return "not-built";
  // A base that did not evaluate counts as failing: a fix of a broken manifest is newly succeeding.
  const baseFailing = r.change === "changed" && (r.base === null || failing(r.base));
  if (failing(r.head)) return baseFailing ? "still-failing" : r.head.status === "failed" ? "newly-failing" : "dep-failed";
  if (baseFailing) return "newly-succeeding";
  return r.change === "added" ? "added" : "still-succeeding";
}

/** `*` any run of characters, `?` one; the whole name must match. */
export function globMatch(glob: string, name: string): boolean {
  const re = new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
  return re.test(name);
}
