// buildGraph: plan → schedule packages (inputs first, independent ones in parallel) → execute.
import { EkaError } from "../errors.ts";
import type { PackageIR } from "../ir/types.ts";
import { ObjectTreeReader } from "../store/store.ts";
import type { Store } from "../store/store.ts";
import type { TreeReader } from "../store/types.ts";
import { blake3, toHex } from "../util/blake3.ts";
import { executePackage, Semaphore, type ExecContext } from "./execute.ts";
import { plan, type PlanNode } from "./plan.ts";
import { join } from "./sandbox.ts";
import { memoryStateFor } from "./state.ts";
import type { BuildOptions, BuildResult, CheckReport } from "./types.ts";

/** Builds every root and its missing inputs; returns one result per root, in order. */
export async function buildGraph(roots: PackageIR[], opts: BuildOptions): Promise<BuildResult[]> {
  const { store } = opts;
  const p = plan(roots, (sp) => store.has(sp), opts.check);
  opts.onProgress?.({ type: "plan", packagesTotal: p.nodes.length, packagesToBuild: p.toBuild.length });
  const results = new Map<PlanNode, BuildResult>();
  for (const n of p.roots) {
    if (n.present && !opts.check) results.set(n, resultOf(store, n, false));
  }
  if (p.toBuild.length > 0) {
    const host = opts.host;
    if (!host) throw new EkaError("E_NO_BUILD_HOST", "this build needs a build host (runner, sandboxes, sources); under Node import buildGraph from builder/index.node.ts");
    const ctx: ExecContext = {
      store,
      state: host.state ?? memoryStateFor(store),
      runner: host.runner,
      sandboxes: host.sandboxes,
      sources: host.sources,
      slots: new Semaphore(Math.max(1, opts.jobs ?? host.runner.slots)),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    };
    let done = 0;
    const started = new Map<PlanNode, Promise<void>>();
    const toBuild = new Set(p.toBuild);
    const buildNode = (n: PlanNode): Promise<void> => {
      let pr = started.get(n);
      if (pr) return pr;
      pr = (async () => {
        if (!toBuild.has(n)) return;
        await Promise.all(n.deps.map(buildNode));
        const t0 = Date.now();
        const r = await buildOne(n, ctx, !!opts.check && p.roots.includes(n));
        results.set(n, r.result);
        done++;
        opts.onProgress?.({ type: "package-done", storePath: n.storePath, built: r.result.built, packagesDone: done, packagesToBuild: p.toBuild.length, ms: Date.now() - t0, stepsRun: r.stepsRun, stepsCached: r.stepsCached });
      })();
      started.set(n, pr);
      return pr;
    };
    const settled = await Promise.allSettled(p.roots.map(buildNode));
    for (const s of settled) if (s.status === "rejected") throw s.reason;
  }
  return p.roots.map((n) => results.get(n) as BuildResult);
}

async function buildOne(n: PlanNode, ctx: ExecContext, check: boolean): Promise<{ result: BuildResult; stepsRun: number; stepsCached: number }> {
  const { store } = ctx;
  if (check && store.has(n.storePath)) return checkOne(n, ctx);
  const lock = await ctx.state.lock(n.pid, () => ctx.onProgress?.({ type: "wait-lock", storePath: n.storePath }), ctx.signal);
  try {
    // Another process may have finished it while we waited.
    const info = store.queryPathInfo(n.storePath);
    if (info) return { result: resultOf(store, n, false), stepsRun: 0, stepsCached: 0 };
    ctx.onProgress?.({ type: "package-start", storePath: n.storePath, name: `${n.ir.name}-${n.ir.version}`, stepsTotal: n.ir.steps.length });
    const o = await executePackage(n, ctx);
    ctx.state.writeLog(n.pid, n.storePath, o.log);
    return { result: resultOf(store, n, true), stepsRun: o.stepsRun, stepsCached: o.stepsCached };
  } finally {
    lock.release();
  }
}

async function checkOne(n: PlanNode, ctx: ExecContext): Promise<{ result: BuildResult; stepsRun: number; stepsCached: number }> {
  const info = ctx.store.queryPathInfo(n.storePath);
  if (!info) throw new EkaError("E_NOT_IN_STORE", `${n.storePath} is not in the store; build it before checking it`);
  ctx.onProgress?.({ type: "package-start", storePath: n.storePath, name: `${n.ir.name}-${n.ir.version}`, stepsTotal: n.ir.steps.length });
  const o = await executePackage(n, { ...ctx, fresh: true }, false);
  try {
    const stored = new ObjectTreeReader(ctx.store, new Map([["a", info.cid]]));
    const report = compareTrees(stored, "a", (o.out as NonNullable<typeof o.out>).reader(), "");
    return { result: { ...resultOf(ctx.store, n, true), check: report }, stepsRun: o.stepsRun, stepsCached: 0 };
  } finally {
    o.out?.dispose();
  }
}

function resultOf(store: Store, n: PlanNode, built: boolean): BuildResult {
  const info = store.queryPathInfo(n.storePath);
  if (!info) throw new EkaError("E_NOT_IN_STORE", `${n.storePath} vanished from the store ${store.address} (collected by a concurrent gc?); build again`);
  let closureSize = 0;
  for (const p of store.closure([n.storePath])) closureSize += store.queryPathInfo(p)?.narSize ?? 0;
  return { pid: n.pid, storePath: n.storePath, cid: info.cid, built, references: info.references, narSize: info.narSize, closureSize };
}

/** File-by-file comparison of two trees. */
export function compareTrees(a: TreeReader, aRoot: string, b: TreeReader, bRoot: string): CheckReport {
  const differences: CheckReport["differences"] = [];
  const visit = (rel: string) => {
    const sa = a.stat(join(aRoot, rel));
    const sb = b.stat(join(bRoot, rel));
    const shown = rel || ".";
    if (!sa && !sb) return;
    if (!sa) return void differences.push({ path: shown, kind: "added" });
    if (!sb) return void differences.push({ path: shown, kind: "removed" });
    if (sa.kind !== sb.kind || sa.executable !== sb.executable) return void differences.push({ path: shown, kind: "type" });
    if (sa.kind === "directory") {
      const names = new Set([...a.readdir(join(aRoot, rel)), ...b.readdir(join(bRoot, rel))]);
      for (const nm of [...names].sort()) visit(join(rel, nm));
    } else if (sa.kind === "symlink") {
      if (a.readlink(join(aRoot, rel)) !== b.readlink(join(bRoot, rel))) differences.push({ path: shown, kind: "changed" });
    } else if (toHex(blake3(a.readFile(join(aRoot, rel)))) !== toHex(blake3(b.readFile(join(bRoot, rel))))) {
      differences.push({ path: shown, kind: "changed" });
    }
  };
  visit("");
  return { identical: differences.length === 0, differences };
}


