// Executes one package: sandbox assembly, the step DAG (cached as actions), output ingestion.
import { EkaError } from "../errors.ts";
import type { PackageIR, Step } from "../ir/types.ts";
import { storePathOf } from "../ir/pid.ts";
import { ObjectTreeReader, type Store } from "../store/store.ts";
import type { Digest } from "../store/digest.ts";
import type { TreeReader } from "../store/types.ts";
import { clangJobs, runClang } from "../toolchains/clang/driver.ts";
import { actionKey, digestMatches } from "./actions.ts";
import type { PlanNode } from "./plan.ts";
import type { CommandOutcome, Mount, Runner } from "./runner.ts";
import { copyInto, join, treeReader, type SandboxHost, type WorkDir } from "./sandbox.ts";
import { SEED_MODULE } from "./seed.ts";
import { loadSource, type SourceHost } from "./sources.ts";
import type { BuildState } from "./state.ts";
import { newTree, treePut } from "./tree.ts";
import type { ProgressEvent } from "./types.ts";
import { concatBytes } from "../util/bytes.ts";

export const DEFAULT_SOURCE_DATE_EPOCH = "1";

export interface ExecContext {
  store: Store;
  state: BuildState;
  runner: Runner;
  sandboxes: SandboxHost;
  sources: SourceHost;
  slots: Semaphore;
  onProgress?: (e: ProgressEvent) => void;
  signal?: AbortSignal;
  /** Run every step, ignoring (and not filling) the action cache: `--check`. */
  fresh?: boolean;
}

export interface PackageOutcome {
  /** The ingested $out; with `ingest: false`, the reader over the fresh output to compare. */
  cid?: Digest;
  out?: WorkDir;
  stepsRun: number;
  stepsCached: number;
  log: string;
}

/** Builds `node` in a fresh sandbox. With ingest, registers $out under its store path. */
export async function executePackage(node: PlanNode, ctx: ExecContext, ingest = true): Promise<PackageOutcome> {
  const { ir, storePath } = node;
  const outPath = storePath;
  const log: string[] = [];
  const build = ctx.sandboxes.workDir("build");
  const out = ctx.sandboxes.workDir("out");
  const tmpDirs: WorkDir[] = [];
  let keepOut = false;
  try {
    // Sources, verified before anything runs.
    for (const [name, spec] of Object.entries(ir.sources)) {
      const src = await loadSource(ctx.store, name, spec, ctx.sources);
      copyInto(src.reader, src.root, build, name);
    }

    // The input closure, each path mounted read-only at its own guest path.
    const inputPaths = Object.values(ir.inputs).map((v) => (typeof v === "string" ? v : storePathOf(v)));
    const closure = ctx.store.closure(inputPaths);
    const seed = typeof ir.inputs.seed === "string" ? ir.inputs.seed : ir.inputs.seed ? storePathOf(ir.inputs.seed) : undefined;
    const inputMounts = closure.map((p) => ctx.sandboxes.inputMount(ctx.store, p));
    // /nix/store itself lists exactly the closure and $out (empty directories under the mounts of
    // the paths themselves, which win as longer guest prefixes).
    const storeView = ctx.sandboxes.workDir("store");
    tmpDirs.push(storeView);
    for (const p of [...closure, outPath]) storeView.mkdirp(p.slice(p.lastIndexOf("/") + 1));
    const fixed: Mount[] = [{ ...storeView.mount("/nix/store"), readonly: true }, ...inputMounts, build.mount("/build"), out.mount(outPath)];
    if (seed && closure.includes(seed)) fixed.push(ctx.sandboxes.inputMount(ctx.store, seed, "usr", "/usr"));
    const env: Record<string, string> = {
      ...ir.env,
      SOURCE_DATE_EPOCH: ir.env.SOURCE_DATE_EPOCH ?? DEFAULT_SOURCE_DATE_EPOCH,
      out: outPath,
      NIX_BUILD_TOP: "/build",
      TMPDIR: "/tmp",
      HOME: "/homeless-shelter",
    };
    const locate = (guest: string): { dir: WorkDir; rel: string } | { store: string } | null => {
      if (guest === "/build" || guest.startsWith("/build/")) return { dir: build, rel: guest.slice(7) };
      if (guest === outPath || guest.startsWith(outPath + "/")) return { dir: out, rel: guest.slice(outPath.length + 1) };
      const p = closure.find((c) => guest === c || guest.startsWith(c + "/"));
      return p ? { store: p } : null;
    };
    const sub = (s: string) => s.split("$out").join(outPath);

    let stepsRun = 0;
    let stepsCached = 0;
    let stepsDone = 0;
    const stepsTotal = ir.steps.length;
    const runStep = async (step: Step): Promise<void> => {
      const args = step.args.map(sub);
      const stepEnv = { ...env, ...Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, sub(v)])) };
      const cwd = sub(step.cwd ?? "/build");
      const outputs = (step.outputs ?? []).map(sub);
      const toolId = resolveToolId(step.tool, seed, locate, sub, ir);
      const inputs: [string, string][] = (step.inputs ?? []).map((raw) => {
        const g = sub(raw);
        const at = locate(g.replace(/\/[^/]*[*?[].*$/, "") || g);
        if (!at) throw new EkaError("E_STEP_INPUT", `package ${ir.name}: step '${step.id}' declares input '${raw}', which is neither under /build, $out nor an input store path`);
        if ("store" in at) return [g, "store"];
        const rel = g.startsWith(outPath) ? g.slice(outPath.length + 1) : g.slice(7);
        return [g, digestMatches(at.dir.reader(), rel)];
      });
      const key = actionKey({ tool: toolId, args, env: stepEnv, cwd, inputs, outputs }, outPath);
      let t0 = Date.now();
      // A step that declares no outputs can't be restored from the cache, so it always runs.
      const cacheable = !ctx.fresh && outputs.length > 0;
      const hit = cacheable ? ctx.state.getAction(key) : null;
      const cached = hit !== null && restoreOutputs(ctx.store, hit, outputs, locate);
      if (cached) {
        ctx.onProgress?.({ type: "step-start", storePath, stepId: step.id, stepsDone, stepsTotal });
        stepsCached++;
        log.push(`== step ${step.id} (cached action ${key.slice(0, 16)})`);
      } else {
        log.push(`== step ${step.id}`, `$ ${args.join(" ")}`);
        const tmp = ctx.sandboxes.workDir("tmp");
        tmpDirs.push(tmp);
        const mounts = [...fixed, tmp.mount("/tmp")];
        for (const o of outputs) {
          const at = locate(o);
          if (at && "dir" in at && at.rel.includes("/")) at.dir.mkdirp(at.rel.slice(0, at.rel.lastIndexOf("/")));
        }
        const r = await ctx.slots.with(() => {
          // Checked again here: the wait for a slot may have outlasted a Ctrl-C.
          if (ctx.signal?.aborted) throw new EkaError("E_ABORTED", "build aborted");
          // Announced once it holds a slot, so "running" means running, not queued.
          ctx.onProgress?.({ type: "step-start", storePath, stepId: step.id, stepsDone, stepsTotal });
          t0 = Date.now();
          return runTool(ctx, step, args, stepEnv, cwd, mounts, seed, locate);
        });
        tmp.dispose();
        const text = new TextDecoder().decode(concatBytes([r.stdout, r.stderr]));
        if (text) log.push(text.replace(/\n$/, ""));
        if (r.exitCode !== 0) {
          log.push(`== step ${step.id} failed with exit code ${r.exitCode}`);
          throw new StepFailure(step.id, r.exitCode, text);
        }
        stepsRun++;
        const saved = cacheable ? saveOutputs(ctx.store, step.id, outputs, locate, text) : "";
        if (cacheable) ctx.state.putAction(key, saved);
      }
      stepsDone++;
      ctx.onProgress?.({ type: "step-done", storePath, stepId: step.id, cached, ms: Date.now() - t0, stepsDone, stepsTotal });
    };

    await runDag(ir.steps, runStep, ctx.signal);

    if (!out.reader().stat("")) throw new EkaError("E_NO_OUTPUT", `package ${ir.name}-${ir.version} produced no $out`);
    if (!ingest) {
      keepOut = true;
      return { out, stepsRun, stepsCached, log: log.join("\n") + "\n" };
    }
    const reader = out.reader();
    const references = scanReferences(reader, [...closure, outPath]);
    const info = ctx.store.ingest(reader, "", { storePath: outPath, references, pid: node.pid as Digest });
    return { cid: info.cid, stepsRun, stepsCached, log: log.join("\n") + "\n" };
  } catch (e) {
    const logText = log.join("\n") + "\n";
    const where = ctx.state.writeLog(node.pid, storePath, logText);
    if (e instanceof StepFailure) {
      const tail = e.output.trimEnd().split("\n").slice(-20).join("\n");
      throw new EkaError(
        "E_BUILD_FAILED",
        `${ir.name}-${ir.version}: step '${e.stepId}' failed with exit code ${e.exitCode}${tail ? `\n${indent(tail)}` : ""}\nFull log: ${where} (or 'eka log ${storePath}')`,
        { storePath, pid: node.pid, log: where },
      );
    }
    throw e;
  } finally {
    build.dispose();
    if (!keepOut) out.dispose();
    for (const t of tmpDirs) t.dispose();
  }
}

class StepFailure extends Error {
  constructor(
    readonly stepId: string,
    readonly exitCode: number,
    readonly output: string,
  ) {
    super(`step ${stepId} failed`);
  }
}

type Locate = (guest: string) => { dir: WorkDir; rel: string } | { store: string } | null;

function resolveToolId(tool: string, seed: string | undefined, locate: Locate, sub: (s: string) => string, ir: PackageIR): string {
  if (tool.startsWith("builtin:")) return tool;
  if (tool.startsWith("seed:")) {
    if (!seed) throw new EkaError("E_IR", `package ${ir.name}: a step uses '${tool}' but the package has no 'seed' input`);
    return `${seed}/${SEED_MODULE}`;
  }
  const g = sub(tool);
  const at = locate(g);
  if (!at) throw new EkaError("E_IR", `package ${ir.name}: tool '${tool}' is not in an input, /build or $out`);
  if ("store" in at) return g;
  const data = at.dir.reader();
  return `${g}#${digestMatches(data, at.rel)}`;
}

async function runTool(
  ctx: ExecContext,
  step: Step,
  args: string[],
  env: Record<string, string>,
  cwd: string,
  mounts: Mount[],
  seed: string | undefined,
  locate: Locate,
): Promise<CommandOutcome> {
  if (step.tool === "builtin:copy") return builtinCopy(args, locate);
  let module: { key: string; bytes: () => Uint8Array };
  if (step.tool.startsWith("seed:")) {
    const path = `${seed}/${SEED_MODULE}`;
    module = { key: path, bytes: () => readStoreFile(ctx.store, seed as string, SEED_MODULE) };
  } else {
    const at = locate(step.tool);
    if (!at) throw new EkaError("E_IR", `tool '${step.tool}' is not visible in the sandbox`);
    if ("store" in at) {
      const rel = step.tool.slice(at.store.length + 1);
      module = { key: step.tool, bytes: () => readStoreFile(ctx.store, at.store, rel) };
    } else {
      const data = at.dir.reader().readFile(at.rel);
      module = { key: `${step.tool}#${digestMatches(at.dir.reader(), at.rel)}`, bytes: () => data };
    }
  }
  const run = (argv: string[]) => ctx.runner.run({ stepId: step.id, module, args: argv, env, cwd, mounts }, ctx.signal);
  const argv0 = args[0] ?? "";
  if (step.tool.startsWith("seed:") && (argv0 === "clang" || argv0 === "clang++") && args[1] !== "-cc1" && args[1] !== "-cc1as") {
    return (await runCompileFromTemplate(JSON.stringify([module.key, cwd, env]), argv0, args.slice(1), run)) ?? runClang(args.slice(1), run, { driver: argv0 });
  }
  return run(args);
}

const SRC = "\0src";
const OBJ = "\0obj";
const MAIN = "\0main";
const driverPlans = new Map<string, Promise<string[][] | null>>();
/** Switch for tests and the bench, which compare against the plain driver. */
export const driverTemplates = { enabled: true };

/**
 * Compile steps of one package differ only in their source and object file, so the driver's job
 * list (`clang -###`, 14–90 ms, 5–25% of a small compile) is expanded once per flag set and
 * reused with the paths substituted. Only the shape cbuild emits (`… -c SRC -o OBJ`) qualifies;
 * anything else, or a driver failure, returns null and goes through the driver as usual.
 */
async function runCompileFromTemplate(
  context: string,
  driver: "clang" | "clang++",
  args: string[],
  run: (argv: string[]) => Promise<CommandOutcome>,
): Promise<CommandOutcome | null> {
  const n = args.length;
  const src = args[n - 3];
  const obj = args[n - 1];
  if (!driverTemplates.enabled || n < 4 || args[n - 4] !== "-c" || args[n - 2] !== "-o" || !src || !obj || !/\.(c|cc|cpp|cxx|m|s|S)$/.test(src)) return null;
  const ext = src.slice(src.lastIndexOf("."));
  const key = JSON.stringify([context, driver, ...args.slice(0, n - 3), ext]);
  let plan = driverPlans.get(key);
  if (!plan) {
    plan = clangJobs(args, run, driver).then((r) => {
      if (r.exitCode !== 0 || r.jobs.length === 0 || r.stderr !== "") return null;
      const base = src.slice(src.lastIndexOf("/") + 1);
      const jobs = r.jobs.map((job) => job.map((a, i) => (a === src ? SRC : a === obj ? OBJ : job[i - 1] === "-main-file-name" && a === base ? MAIN : a)));
      // A path derived from the file names elsewhere (a depfile, coverage notes) can't be reused.
      const stems = [src.replace(/\.[^./]+$/, ""), obj.replace(/\.[^./]+$/, "")];
      return jobs.some((job) => job.some((a) => stems.some((st) => a.includes(st)))) ? null : jobs;
    });
    driverPlans.set(key, plan);
    // The first step of a flag set has just run the driver; it runs its jobs below like the rest.
  }
  const jobs = await plan;
  if (!jobs) {
    driverPlans.delete(key);
    return null;
  }
  const base = src.slice(src.lastIndexOf("/") + 1);
  const out: Uint8Array[] = [];
  const err: Uint8Array[] = [];
  for (const job of jobs) {
    const r = await run(job.map((a) => (a === SRC ? src : a === OBJ ? obj : a === MAIN ? base : a)));
    out.push(r.stdout);
    err.push(r.stderr);
    if (r.exitCode !== 0) return { exitCode: r.exitCode, stdout: concatBytes(out), stderr: concatBytes(err) };
  }
  return { exitCode: 0, stdout: concatBytes(out), stderr: concatBytes(err) };
}

/** `copy [--base DIR] SRC… DSTDIR`: copies files keeping their path relative to DIR. */
function builtinCopy(args: string[], locate: Locate): CommandOutcome {
  const rest = args.slice(1);
  let base = "";
  if (rest[0] === "--base") {
    base = rest[1] ?? "";
    rest.splice(0, 2);
  }
  const dst = rest.pop();
  const fail = (msg: string): CommandOutcome => ({ exitCode: 1, stdout: new Uint8Array(), stderr: new TextEncoder().encode(`copy: ${msg}\n`) });
  const to = dst ? locate(dst) : null;
  if (!to || !("dir" in to)) return fail(`destination '${dst}' must be under /build or $out`);
  for (const s of rest) {
    const from = locate(s);
    if (!from || !("dir" in from)) return fail(`source '${s}' must be under /build or $out`);
    if (!from.dir.reader().stat(from.rel)) return fail(`'${s}' does not exist`);
    const rel = base && s.startsWith(base + "/") ? s.slice(base.length + 1) : (s.split("/").pop() ?? s);
    copyInto(from.dir.reader(), from.rel, to.dir, join(to.rel, rel));
  }
  return { exitCode: 0, stdout: new Uint8Array(), stderr: new Uint8Array() };
}

function readStoreFile(store: Store, storePath: string, rel: string): Uint8Array {
  const base = storePath.slice(storePath.lastIndexOf("/") + 1);
  return store.view([storePath]).readFile(`${base}/${rel}`);
}

/** Stores a step's outputs as one tree (`0`, `1`, … in declaration order, plus its log). */
function saveOutputs(store: Store, stepId: string, outputs: string[], locate: Locate, text: string): string {
  const tree = newTree();
  treePut(tree, "log", { type: "file", data: new TextEncoder().encode(text), executable: false });
  const readers: { i: number; reader: TreeReader; rel: string }[] = [];
  outputs.forEach((o, i) => {
    const at = locate(o);
    if (!at || !("dir" in at) || !at.dir.reader().stat(at.rel)) {
      throw new EkaError("E_STEP_OUTPUT", `step '${stepId}' declares output '${o}' but did not create it`);
    }
    readers.push({ i, reader: at.dir.reader(), rel: at.rel });
  });
  const combined: TreeReader = {
    stat: (p) => (p.startsWith("o/") ? pick(p).r.stat(pick(p).rel) : treeReader(tree).stat(p) ?? (p === "o" ? { kind: "directory", size: 0, executable: false } : null)),
    readdir: (p) => (p === "" ? ["log", "o"] : p === "o" ? readers.map((r) => String(r.i)) : pick(p).r.readdir(pick(p).rel)),
    readFile: (p) => (p.startsWith("o/") ? pick(p).r.readFile(pick(p).rel) : treeReader(tree).readFile(p)),
    readlink: (p) => pick(p).r.readlink(pick(p).rel),
  };
  function pick(p: string): { r: TreeReader; rel: string } {
    const [, idx, ...rest] = p.split("/");
    const r = readers[Number(idx)] as (typeof readers)[number];
    return { r: r.reader, rel: join(r.rel, rest.join("/")) };
  }
  return store.addTree(combined);
}

/** Restores a cached action's outputs; false if its objects are gone (then the step reruns). */
function restoreOutputs(store: Store, cid: string, outputs: string[], locate: Locate): boolean {
  try {
    const reader = new ObjectTreeReader(store, new Map([["a", cid as Digest]]));
    if (!reader.stat("a/log")) return false;
    outputs.forEach((o, i) => {
      const at = locate(o);
      if (!at || !("dir" in at)) throw new Error("unreachable output");
      at.dir.remove(at.rel);
      copyInto(reader, `a/o/${i}`, at.dir, at.rel);
    });
    return true;
  } catch {
    return false;
  }
}

/** Store paths (of `candidates`) whose hash part occurs in any file or symlink of the tree. */
export function scanReferences(tree: TreeReader, candidates: string[]): string[] {
  const want = new Map(candidates.map((p) => [p.slice(p.lastIndexOf("/") + 1, p.lastIndexOf("/") + 33), p]));
  const found = new Set<string>();
  const dec = new TextDecoder("latin1");
  const visit = (p: string) => {
    const st = tree.stat(p);
    if (!st || found.size === want.size) return;
    let text: string;
    if (st.kind === "directory") {
      for (const n of tree.readdir(p)) visit(join(p, n));
      return;
    } else if (st.kind === "symlink") text = tree.readlink(p);
    else text = dec.decode(tree.readFile(p));
    for (const [h, path] of want) if (!found.has(path) && text.includes(h)) found.add(path);
  };
  visit("");
  return [...found].sort();
}

/** Runs steps as their deps finish; the first failure stops new steps and is rethrown. */
async function runDag(steps: Step[], run: (s: Step) => Promise<void>, signal?: AbortSignal): Promise<void> {
  const done = new Map<string, Promise<void>>();
  let failed: unknown;
  const start = (s: Step): Promise<void> => {
    let p = done.get(s.id);
    if (p) return p;
    p = (async () => {
      await Promise.all((s.deps ?? []).map((d) => start(steps.find((x) => x.id === d) as Step)));
      if (failed !== undefined) throw failed;
      if (signal?.aborted) throw new EkaError("E_ABORTED", "build aborted");
      await run(s);
    })();
    p.catch((e: unknown) => {
      failed ??= e;
    });
    done.set(s.id, p);
    return p;
  };
  const all = await Promise.allSettled(steps.map(start));
  if (failed !== undefined) throw failed;
  for (const r of all) if (r.status === "rejected") throw r.reason;
}

/** Limits concurrent commands across every package being built. */
export class Semaphore {
  private queue: (() => void)[] = [];
  private active = 0;
  constructor(readonly size: number) {}
  async with<T>(f: () => Promise<T>): Promise<T> {
    // A released slot passes straight to the next waiter, so a newcomer can't overtake it.
    if (this.active >= this.size) await new Promise<void>((r) => this.queue.push(r));
    else this.active++;
    try {
      return await f();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    }
  }
}


function indent(s: string): string {
  return s
    .split("\n")
    .map((l) => `  | ${l}`)
    .join("\n");
}
