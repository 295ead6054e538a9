/**
 * Node-only: a pool of worker threads that run WASI commands. Each module is compiled once in this
 * process (runtime/modules.ts) and the compiled `WebAssembly.Module` is posted to a worker the first
 * time a job there needs it, so no worker ever recompiles it. Jobs are plain data (module key,
 * args, env, mount descriptions) so they cross the thread boundary; the wall-time limit is enforced
 * here, by terminating the worker and starting a fresh one.
 */
import { availableParallelism } from "node:os";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { setFlagsFromString } from "node:v8";
import { Worker } from "node:worker_threads";
import { EkaError, type ErrorCode } from "../errors.ts";
import type { ViewSpec } from "./filtered.ts";
import type { FileSystem } from "./fs.ts";
import { cachedModule, compileModule } from "./modules.ts";

/**
 * What a job sees, described as data. `host`: a host directory (with `view`, only those of its
 * paths: runtime/filtered.ts); `memory`: a fresh in-memory file
 * system seeded with `files` (guest-relative paths), returned after the run when `collect` is set;
 * `module`: a file system built inside the worker by `(await import(url))[exportName](options)`, so
 * other layers add kinds (the seed's sysroot, a store view) without the pool knowing them.
 */
export type MountSpec =
  | { guest: string; kind: "host"; path: string; readonly?: boolean; view?: ViewSpec }
  | { guest: string; kind: "memory"; files?: Record<string, Uint8Array>; collect?: boolean }
  | { guest: string; kind: "module"; url: string; exportName: string; options?: unknown };

/**
 * A program run inside the worker instead of a single WASI command: `(await import(url))[exportName]`
 * is called with a ProgramContext and returns the exit code and output. The clang driver emulation
 * (several tool runs sharing a temp directory) is one: see toolchains/clang/pool.node.ts.
 */
export interface ProgramSpec {
  url: string;
  exportName: string;
}

/** What a ProgramSpec's function receives. */
export interface ProgramContext {
  module: WebAssembly.Module;
  job: PoolJob;
  /** The job's mounts, built. */
  mounts: { guest: string; fs: FileSystem }[];
}

export interface PoolJob {
  /** Key of a module added with `pool.addModule` (or compiled by compileModule in this process). */
  module: string;
  /** Default: run the module once as a WASI command with `args` (args[0] is argv[0]). */
  program?: ProgramSpec;
  args: string[];
  env?: Record<string, string>;
  /** Guest working directory, when the runtime supports one. */
  cwd?: string;
  mounts: MountSpec[];
  stdin?: Uint8Array;
  /** Wall-time limit in ms; past it the worker is terminated and the job fails with E_TIMEOUT. */
  timeoutMs?: number;
  /** Passed through to the runtime (deterministic clocks/randomness). */
  deterministic?: boolean | { sourceDateEpoch?: number; seed?: number };
  /** Passed through to the runtime: guest memory and captured output caps. */
  limits?: { maxMemoryBytes?: number; maxOutputBytes?: number };
}

export interface PoolResult {
  exitCode: number;
  stdout: Uint8Array;
  stderr: Uint8Array;
  /** For `memory` mounts with `collect`: guest mount point → relative path → contents. */
  files?: Record<string, Record<string, Uint8Array>>;
  /** The worker thread that ran the job (for logs). */
  threadId?: number;
}

/** Counters for tests and benchmarks. */
export interface PoolStats {
  jobs: number;
  workersStarted: number;
  /** Compiled modules posted to workers: at most one per (worker, module). */
  modulesSent: number;
  timeouts: number;
  /** Most jobs running at the same moment. */
  peakBusy: number;
}

export interface PoolOptions {
  /** Worker count; default `os.availableParallelism()`. */
  size?: number;
}

interface Slot {
  worker: Worker;
  modules: Set<string>;
  busy: boolean;
}

interface Pending {
  job: PoolJob;
  signal?: AbortSignal;
  /** Stops watching the signal for the queued job (it left the queue). */
  unwatchQueued?: () => void;
  resolve: (r: PoolResult) => void;
  reject: (e: unknown) => void;
}

/** How `run` ends a job its signal aborted: at once, not when the command would have finished. */
const aborted = (job: PoolJob) => new EkaError("E_ABORTED", `aborted: '${job.args[0] ?? "job"}' was stopped`);

/**
 * V8 flags eka sets before compiling modules that run clang (the seed and the tools it builds),
 * chosen by measurement on a 2-core machine (bench/clang.bench.ts). Liftoff only: a clang -cc1 -O2
 * job of a 33 KB C file ran 3.8-4.6x faster than with V8's default dynamic tiering (whose TurboFan
 * recompiles of clang's huge functions compete for the cores) and ~9x faster than TurboFan only; a
 * 45 s SQLite -O1 compile was still ~12% faster. Lazy validation: each function is validated when it
 * first runs instead of all 75 MB up front (compiling the seed: ~180 ms → ~60 ms); a function that
 * fails validation still never runs. `EKA_V8_FLAGS` overrides them ("none" keeps V8's defaults). The
 * flags are process-wide, so workers share them.
 */
export const DEFAULT_V8_FLAGS: readonly string[] = ["--liftoff-only", "--wasm-lazy-validation"];

/**
 * A long-lived process (`eka daemon`) lets V8 tier clang's hot functions up: TurboFan's recompiles
 * cost a one-shot build more than they save, but a daemon keeps the optimised code for every later
 * job (the compiled module, and so its tiered code, is shared by all workers).
 */
export const TIERING_V8_FLAGS: readonly string[] = ["--wasm-lazy-validation"];

let flagsApplied: readonly string[] | undefined;

/**
 * Applies `defaults` (DEFAULT_V8_FLAGS unless given), or EKA_V8_FLAGS, once per process; call before
 * compiling modules that run clang. Returns the flags in force.
 */
export function applyV8Flags(defaults: readonly string[] = DEFAULT_V8_FLAGS): readonly string[] {
  if (flagsApplied) return flagsApplied;
  const env = process.env.EKA_V8_FLAGS;
  flagsApplied = env === "none" ? [] : env ? env.split(/\s+/).filter(Boolean) : defaults;
  for (const f of flagsApplied) setFlagsFromString(f);
  return flagsApplied;
}

const livePools = new Set<WorkerPool>();

/** The pools of this process not yet closed (for `eka daemon status`). */
export function openPools(): WorkerPool[] {
  return [...livePools];
}

let nextId = 1;

export class WorkerPool {
  readonly size: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private closed = false;
  readonly stats: PoolStats = { jobs: 0, workersStarted: 0, modulesSent: 0, timeouts: 0, peakBusy: 0 };

  constructor(opts: PoolOptions = {}) {
    this.size = Math.max(1, opts.size ?? availableParallelism());
    applyV8Flags();
    livePools.add(this);
  }

  /** Compiles `bytes` once (in this thread) and returns the key jobs use to name it. */
  async addModule(bytes: Uint8Array): Promise<string> {
    return (await compileModule(bytes)).key;
  }

  /**
   * Runs `job` on a free worker. An aborted `signal` fails it with E_ABORTED at once: a queued job
   * leaves the queue, a running one's worker is terminated (a fresh one takes its slot).
   */
  run(job: PoolJob, opts: { signal?: AbortSignal } = {}): Promise<PoolResult> {
    if (this.closed) return Promise.reject(new EkaError("E_POOL_CLOSED", "the worker pool is closed; create a new WorkerPool"));
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(aborted(job));
    return new Promise((resolve, reject) => {
      const p: Pending = { job, resolve, reject };
      if (signal) {
        p.signal = signal;
        p.unwatchQueued = watchAbort(signal, () => {
          const i = this.queue.indexOf(p);
          if (i >= 0) this.queue.splice(i, 1);
          reject(aborted(job));
        });
      }
      this.queue.push(p);
      this.pump();
    });
  }

  /** Terminates every worker; queued jobs fail with E_POOL_CLOSED. */
  async close(): Promise<void> {
    this.closed = true;
    livePools.delete(this);
    for (const p of this.queue.splice(0)) p.reject(new EkaError("E_POOL_CLOSED", "the worker pool was closed before the job ran"));
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.busy);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const p = this.queue.shift() as Pending;
      p.unwatchQueued?.();
      const s = slot;
      s.busy = true;
      this.stats.jobs++;
      this.stats.peakBusy = Math.max(this.stats.peakBusy, this.slots.filter((x) => x.busy).length);
      void this.dispatch(s, p).finally(() => {
        s.busy = false;
        this.pump();
      });
    }
  }

  private spawn(): Slot {
    const slot: Slot = { worker: startWorker(), modules: new Set(), busy: false };
    slot.worker.unref();
    this.slots.push(slot);
    this.stats.workersStarted++;
    return slot;
  }

  private replace(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    void slot.worker.terminate();
    if (i >= 0) this.slots.splice(i, 1);
  }

  private async dispatch(slot: Slot, p: Pending): Promise<void> {
    const { job } = p;
    let module: WebAssembly.Module | undefined;
    try {
      if (!slot.modules.has(job.module)) {
        const m = cachedModule(job.module);
        if (!m) throw new EkaError("E_UNKNOWN_MODULE", `no module with key ${job.module.slice(0, 16)}… was added to the pool; call pool.addModule(bytes) first`);
        module = await m;
      }
    } catch (e) {
      p.reject(e);
      return;
    }
    if (p.signal?.aborted) {
      p.reject(aborted(job));
      return;
    }
    const id = nextId++;
    await new Promise<void>((done) => {
      const w = slot.worker;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let unwatch: (() => void) | undefined;
      const finish = (): void => {
        if (timer) clearTimeout(timer);
        unwatch?.();
        w.off("message", onMessage);
        w.off("error", onError);
        w.off("exit", onExit);
        w.unref();
        done();
      };
      const onMessage = (m: WorkerReply): void => {
        if (m.id !== id) return;
        finish();
        if (m.ok) p.resolve({ ...m.result, threadId: w.threadId });
        else p.reject(new EkaError(m.code ?? "E_WORKER", m.message, m.details));
      };
      const onError = (e: Error): void => {
        finish();
        this.replace(slot);
        p.reject(new EkaError("E_WORKER", `a pool worker crashed while running '${job.args[0] ?? ""}': ${e.message}`));
      };
      const onExit = (code: number): void => {
        finish();
        this.replace(slot);
        p.reject(new EkaError("E_WORKER", `a pool worker exited (code ${code}) while running '${job.args[0] ?? ""}'`));
      };
      w.on("message", onMessage);
      w.on("error", onError);
      w.on("exit", onExit);
      if (p.signal) {
        unwatch = watchAbort(p.signal, () => {
          finish();
          this.replace(slot);
          p.reject(aborted(job));
        });
      }
      w.ref();
      if (job.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          finish();
          this.stats.timeouts++;
          this.replace(slot);
          p.reject(
            new EkaError("E_TIMEOUT", `'${job.args.join(" ").slice(0, 200)}' ran longer than its wall-time limit of ${job.timeoutMs} ms and was stopped`),
          );
        }, job.timeoutMs);
      }
      if (module) {
        w.postMessage({ type: "module", key: job.module, module });
        slot.modules.add(job.module);
        this.stats.modulesSent++;
      }
      w.postMessage({ type: "job", id, job });
    });
  }
}

const abortWatchers = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `fn` when `signal` aborts; returns what stops watching. One listener per signal however
 * many jobs share it (every job of a build does), so a wide pool trips no listener-leak warning.
 */
function watchAbort(signal: AbortSignal, fn: () => void): () => void {
  let watchers = abortWatchers.get(signal);
  if (!watchers) {
    const set = new Set<() => void>();
    watchers = set;
    abortWatchers.set(signal, set);
    signal.addEventListener("abort", () => [...set].forEach((f) => f()), { once: true });
  }
  const set = watchers;
  set.add(fn);
  return () => set.delete(fn);
}

type WorkerReply =
  | { id: number; ok: true; result: PoolResult }
  | { id: number; ok: false; code?: ErrorCode; message: string; details?: Record<string, unknown> };

/** The runtime's deterministic options for a job's `deterministic` field. */
export function deterministicOptions(d: PoolJob["deterministic"]): { epochNs?: bigint; seed?: number } {
  if (d === true || d === undefined || d === false) return {};
  return {
    ...(d.sourceDateEpoch !== undefined ? { epochNs: BigInt(d.sourceDateEpoch) * 1_000_000_000n } : {}),
    ...(d.seed !== undefined ? { seed: d.seed } : {}),
  };
}

let shared: WorkerPool | undefined;

/** The process-wide pool, sized to the machine. */
export function defaultPool(): WorkerPool {
  shared ??= new WorkerPool();
  return shared;
}

/**
 * The worker runs from the TypeScript source through tsx's API (a dependency), both when eka runs
 * from source and from the esbuild bundle (which has no worker entry point); a prebuilt
 * `dist/worker.mjs`, if present next to the bundle, is preferred.
 */
function startWorker(): Worker {
  const here = import.meta.url;
  const bundled = new URL("./worker.mjs", here);
  if (!here.endsWith(".ts") && existsSync(fileURLToPath(bundled))) return new Worker(bundled);
  const candidates = [new URL("./worker.node.ts", here), new URL("../src/runtime/worker.node.ts", here)];
  const source = candidates.find((u) => existsSync(fileURLToPath(u)));
  if (!source) throw new EkaError("E_WORKER", `cannot find the pool worker (looked for ${candidates.map((u) => fileURLToPath(u)).join(", ")}); reinstall eka`);
  // tsx's ESM API by absolute URL (an eval worker resolves bare names from its cwd, which may be
  // anywhere); its CommonJS twin cannot register the loader from inside a worker.
  const tsxApi = pathToFileURL(createRequire(here).resolve("tsx/esm/api").replace(/\.cjs$/, ".mjs")).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => m.tsImport(${JSON.stringify(source.href)}, ${JSON.stringify(here)}))`;
  return new Worker(boot, { eval: true });
}
