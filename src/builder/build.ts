// buildGraph, the builder's one door: plan (what the store lacks) → schedule packages (inputs first,
// independent ones in parallel) → execute each → results. A no-op answers from the plan's store
// lookups and loads nothing else: no build host, no executor, no package execution. A path found in
// the store counts only if its objects are whole (path-infos.ts `damage`); a damaged one is rebuilt
// and its objects mended (check.ts `repairPackage`).
import { EkaError } from "../errors.ts";
import type { PackageIR } from "../ir/types.ts";
import type { PackageContext } from "./package.ts";
import { PathInfos, resultOf } from "./path-infos.ts";
import { plan, type Plan, type PlanNode } from "./plan.ts";
import { runInOrder, Semaphore } from "./schedule.ts";
import { memoryStateFor } from "./state.ts";
import type { BuildOptions, BuildResult } from "./types.ts";

type Built = { result: BuildResult; stepsRun: number; stepsCached: number };

/** Builds every root and its missing inputs; returns one result per root, in order. */
export async function buildGraph(roots: PackageIR[], opts: BuildOptions): Promise<BuildResult[]> {
  const { p, infos, built, failures } = await buildAll(roots, opts);
  const first = failures.values().next();
  if (!first.done) throw first.value;
  return p.roots.map((n) => built.get(n) ?? resultOf(infos, n, false));
}

/** One root's outcome in buildEach. */
export type RootOutcome = { ok: true; result: BuildResult } | { ok: false; error: unknown; failed: { name: string; storePath: string } };

/**
 * Like buildGraph, but a failure stops only the roots that need what failed: every other root is
 * built, and each root gets its outcome (a failed one names the package that failed, itself or an
 * input). `eka build` of several atoms reports this way.
 */
export async function buildEach(roots: PackageIR[], opts: BuildOptions): Promise<RootOutcome[]> {
  const { p, infos, built, failures } = await buildAll(roots, opts);
  return p.roots.map((n) => {
    const culprit = failedIn(n, failures);
    if (!culprit) return { ok: true, result: built.get(n) ?? resultOf(infos, n, false) };
    return { ok: false, error: failures.get(culprit), failed: { name: `${culprit.ir.name}-${culprit.ir.version}`, storePath: culprit.storePath } };
  });
}

/** The node of `n`'s closure (itself first) whose build failed, if any. */
function failedIn(n: PlanNode, failures: Map<PlanNode, unknown>, seen = new Set<PlanNode>()): PlanNode | undefined {
  if (failures.has(n)) return n;
  seen.add(n);
  for (const d of n.deps) {
    const f = seen.has(d) ? undefined : failedIn(d, failures, seen);
    if (f) return f;
  }
  return undefined;
}

async function buildAll(roots: PackageIR[], opts: BuildOptions) {
  const infos = new PathInfos(opts.store);
  const p = plan(roots, (sp) => infos.get(sp) !== null && infos.damage(sp, opts.repair).length === 0, opts.check);
  opts.onProgress?.({ type: "plan", packagesTotal: p.nodes.length, packagesToBuild: p.toBuild.length });
  const { built, failures } = p.toBuild.length > 0 ? await buildPlanned(p, infos, opts) : { built: new Map<PlanNode, BuildResult>(), failures: new Map<PlanNode, unknown>() };
  return { p, infos, built, failures };
}

/** Builds what the plan lacks, as far as it can: the results, and the error of each package that failed. */
async function buildPlanned(p: Plan, infos: PathInfos, opts: BuildOptions): Promise<{ built: Map<PlanNode, BuildResult>; failures: Map<PlanNode, unknown> }> {
  const host = typeof opts.host === "function" ? await opts.host() : opts.host;
  if (!host) throw new EkaError("E_NO_BUILD_HOST", "this build needs a build host (executor, sandboxes, sources); under Node import buildGraph from builder/index.node.ts");
  const [{ executePackage }, { checkPackage, repairPackage }] = await Promise.all([import("./package.ts"), import("./check.ts")]);
  const ctx: PackageContext = {
    store: opts.store,
    infos,
    state: host.state ?? memoryStateFor(opts.store),
    executor: host.executor,
    sandboxes: host.sandboxes,
    sources: host.sources,
    slots: new Semaphore(Math.max(1, opts.jobs ?? host.executor.slots)),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
  const buildOne = async (n: PlanNode): Promise<Built> => {
    await provideInputs(n, infos, opts.provideInput);
    if (opts.check && p.roots.includes(n) && infos.get(n.storePath)) return checkPackage(n, ctx);
    const lock = await ctx.state.lock(n.pid, () => ctx.onProgress?.({ type: "wait-lock", storePath: n.storePath }), ctx.signal);
    try {
      // Asked again under the lock: another process may have built it while we planned or waited.
      if (infos.refresh(n.storePath)) {
        const damage = infos.damage(n.storePath, opts.repair);
        if (damage.length) return repairPackage(n, ctx, damage);
        return { result: resultOf(infos, n, false), stepsRun: 0, stepsCached: 0 };
      }
      ctx.onProgress?.({ type: "package-start", storePath: n.storePath, name: `${n.ir.name}-${n.ir.version}`, stepsTotal: n.ir.steps.length });
      const o = await executePackage(n, ctx);
      infos.set(o.info as NonNullable<typeof o.info>);
      ctx.state.writeLog(n.pid, n.storePath, o.log);
      return { result: resultOf(infos, n, true), stepsRun: o.stepsRun, stepsCached: o.stepsCached };
    } finally {
      lock.release();
    }
  };
  const results = new Map<PlanNode, BuildResult>();
  const failures = new Map<PlanNode, unknown>();
  const toBuild = new Set(p.toBuild);
  let done = 0;
  const run = async (n: PlanNode): Promise<void> => {
    if (!toBuild.has(n)) return;
    const t0 = Date.now();
    const r = await buildOne(n).catch((e: unknown) => {
      failures.set(n, e);
      throw e;
    });
    results.set(n, r.result);
    done++;
    opts.onProgress?.({ type: "package-done", storePath: n.storePath, built: r.result.built, packagesDone: done, packagesToBuild: toBuild.size, ms: Date.now() - t0, stepsRun: r.stepsRun, stepsCached: r.stepsCached });
  };
  // A package in the store needs none of its inputs, so the walk stops there.
  // Failures are in `failures`, each package's own; dependants of a failed one never start.
  await runInOrder(p.roots, (n) => (toBuild.has(n) ? n.deps : []), run, { keepGoing: true }).catch((e: unknown) => {
    if (failures.size === 0) throw e;
  });
  return { built: results, failures };
}

/** Makes sure the plain store-path inputs of `n` are in the store, asking `provide` for missing ones. */
async function provideInputs(n: PlanNode, infos: PathInfos, provide: BuildOptions["provideInput"]): Promise<void> {
  for (const [name, input] of Object.entries(n.ir.inputs)) {
    if (typeof input !== "string" || infos.get(input)) continue;
    if (provide && (await provide(input)) && infos.refresh(input)) continue;
    throw new EkaError("E_NOT_IN_STORE", `package ${n.ir.name}: its input '${name}' (${input}) is not in the store ${infos.store.address}; add it to the store first`);
  }
}
