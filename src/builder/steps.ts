// The steps of one package: a DAG, each step keyed as an action and restored from the action cache
// when its key is known, else run while holding a slot of the build's Semaphore — by a builtin, by
// the toolchain that claims it (the clang driver: several commands), or as one command — each
// command through the executor.
import { EkaError } from "../errors.ts";
import type { Step } from "../ir/types.ts";
import type { Store } from "../store/store.ts";
import { runStepCommand, type ToolResult, type ToolRunner } from "../toolchains/hooks.ts";
import { concatBytes } from "../util/bytes.ts";
import type { ViewSpec } from "../runtime/filtered.ts";
import { actionKey, declaredInputs, forgetDigests, restoreOutputs, saveOutputs, type MatchedPaths } from "./action-cache.ts";
import type { ExecRequest, ExecResult, Executor } from "./executor.ts";
import type { Locate, PackageSandbox, WorkViews } from "./package-sandbox.ts";
import { copyInto } from "./sandbox.ts";
import { runInOrder, type Semaphore } from "./schedule.ts";
import type { BuildState } from "./state.ts";
import { builtinCopy, resolveTool } from "./tools.ts";
import type { ProgressEvent } from "./types.ts";

export interface StepsContext {
  store: Store;
  state: BuildState;
  executor: Executor;
  slots: Semaphore;
  onProgress?: (e: ProgressEvent) => void;
  signal?: AbortSignal;
  /** Run every step, ignoring (and not filling) the action cache: `--check`. */
  fresh?: boolean;
  /** An input store path's cid, so action keys name inputs by content (early cutoff). */
  cidOf?: (storePath: string) => string | undefined;
}

/** A step exited non-zero; the package turns it into E_BUILD_FAILED with the log's place. */
export class StepFailure extends Error {
  constructor(
    readonly stepId: string,
    readonly exitCode: number,
    readonly output: string,
  ) {
    super(`step ${stepId} failed`);
  }
}

interface Counts {
  done: number;
  total: number;
  run: number;
  cached: number;
}

/** Runs the package's steps in `sandbox`, appending to `log`; the first failure stops new steps. */
export async function runSteps(steps: readonly Step[], sandbox: PackageSandbox, ctx: StepsContext, log: string[]): Promise<{ stepsRun: number; stepsCached: number }> {
  const counts: Counts = { done: 0, total: steps.length, run: 0, cached: 0 };
  const byId = new Map(steps.map((s) => [s.id, s]));
  const depsOf = (s: Step) => (s.deps ?? []).map((d) => byId.get(d) as Step);
  await runInOrder(steps, depsOf, (s) => runStep(s, sandbox, ctx, log, counts), ctx.signal ? { signal: ctx.signal } : {});
  return { stepsRun: counts.run, stepsCached: counts.cached };
}

async function runStep(step: Step, sb: PackageSandbox, ctx: StepsContext, log: string[], counts: Counts): Promise<void> {
  const args = step.args.map(sb.sub);
  const env = { ...sb.env, ...Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, sb.sub(v)])) };
  const cwd = sb.sub(step.cwd ?? "/build");
  const outputs = (step.outputs ?? []).map(sb.sub);
  const tool = resolveTool(step.tool, sb, ctx.store);
  const { inputs, matched } = declaredInputs(step.inputs ?? [], step.id, sb);
  const key = actionKey({ tool: tool.key, args, env, cwd, inputs, outputs, storePaths: [...sb.closure].sort() }, sb.outPath, ctx.cidOf);
  const paths = { out: sb.outPath, closure: sb.closure };
  const announce = () => ctx.onProgress?.({ type: "step-start", storePath: sb.outPath, stepId: step.id, stepsDone: counts.done, stepsTotal: counts.total });
  let t0 = Date.now();
  // A step that declares no outputs can't be restored from the cache, so it always runs.
  const cacheable = !ctx.fresh && outputs.length > 0;
  const hit = cacheable ? ctx.state.getAction(key) : null;
  // Whatever happens next may write the outputs: digests that cover them are computed afresh.
  forgetDigests(sb, outputs);
  const cached = hit !== null && restoreOutputs(ctx.store, hit, outputs, sb.locate, paths);
  if (cached) {
    announce();
    counts.cached++;
    log.push(`== step ${step.id} (cached action ${key.slice(0, 16)})`);
  } else {
    log.push(`== step ${step.id}`, `$ ${args.join(" ")}`);
    for (const o of outputs) {
      const at = sb.locate(o);
      if (at && "dir" in at && at.rel.includes("/")) at.dir.mkdirp(at.rel.slice(0, at.rel.lastIndexOf("/")));
    }
    // A step that declares outputs is keyed (and so may be answered from the cache): it sees only
    // what its key covers, in --check too. One without outputs always runs, so it sees everything.
    const views = outputs.length > 0 ? stepViews(matched, outputs, cwd, sb) : undefined;
    const { mounts, release } = sb.commandMounts(views);
    let r: ToolResult;
    try {
      r = await ctx.slots.with(() => {
        // Checked again here: the wait for a slot may have outlasted a Ctrl-C.
        if (ctx.signal?.aborted) throw new EkaError("E_ABORTED", "build aborted");
        // Announced once it holds a slot, so "running" means running, not queued.
        announce();
        t0 = Date.now();
        if ("builtin" in tool) return Promise.resolve(builtinCopy(args, sb.locate, (at) => !views || shows(at.dir === sb.build ? views.build : views.out, at.rel)));
        const request = { stepId: step.id, inputs, storePaths: sb.closure, outputs, mounts };
        const run: ToolRunner = (argv) => execute(ctx, sb.locate, { ...request, command: { module: tool.module, args: argv, env, cwd } });
        return runStepCommand({ tool: step.tool, args, env, cwd, moduleKey: tool.key }, run);
      });
    } finally {
      release();
    }
    const text = new TextDecoder().decode(concatBytes([r.stdout, r.stderr]));
    if (text) log.push(text.replace(/\n$/, ""));
    if (r.exitCode !== 0) {
      log.push(`== step ${step.id} failed with exit code ${r.exitCode}`);
      throw new StepFailure(step.id, r.exitCode, text);
    }
    counts.run++;
    if (cacheable) ctx.state.putAction(key, saveOutputs(ctx.store, step.id, outputs, sb.locate, text, paths));
  }
  forgetDigests(sb, outputs);
  counts.done++;
  ctx.onProgress?.({ type: "step-done", storePath: sb.outPath, stepId: step.id, cached, ms: Date.now() - t0, stepsDone: counts.done, stepsTotal: counts.total });
}

/**
 * What a step may see of /build and $out: what its declared inputs matched (so exactly what its
 * key covers), its declared outputs, and its working directory (listing only those).
 */
function stepViews(matched: MatchedPaths, outputs: readonly string[], cwd: string, sb: PackageSandbox): WorkViews {
  const views: WorkViews = { build: { paths: [...matched.build], dirs: [] }, out: { paths: [...matched.out], dirs: [] } };
  const add = (guest: string, kind: "paths" | "dirs") => {
    const at = sb.locate(guest);
    if (at && "dir" in at) ((at.dir === sb.build ? views.build : views.out)[kind] as string[]).push(at.rel);
  };
  for (const o of outputs) add(o, "paths");
  add(cwd, "dirs");
  return views;
}

/** Whether `view` shows `rel` (it or a directory above it is one of its paths). */
function shows(view: ViewSpec, rel: string): boolean {
  return view.paths.some((p) => p === "" || p === rel || rel.startsWith(p + "/"));
}

/** One command of a step through the executor; outputs it returns (not written in place) are installed. */
async function execute(ctx: StepsContext, locate: Locate, req: ExecRequest): Promise<ExecResult> {
  const r = await ctx.executor.execute(req, ctx.signal);
  if (r.outputs) installOutputs(r.outputs, locate);
  return r;
}

function installOutputs(outputs: NonNullable<ExecResult["outputs"]>, locate: Locate): void {
  for (const [guest, { tree, root }] of outputs) {
    const at = locate(guest);
    if (!at || !("dir" in at)) throw new EkaError("E_STEP_OUTPUT", `the executor returned output '${guest}', which is not under /build or $out`);
    at.dir.remove(at.rel);
    copyInto(tree, root, at.dir, at.rel);
  }
}
