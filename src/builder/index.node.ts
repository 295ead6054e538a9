/**
 * Node entry of builder/: buildGraph with the build host filled in — worker-pool runner, host temp
 * directories as sandboxes, sources from disk/http/git, and build state (action cache, logs,
 * locks) in the store's directory for file stores.
 */
import { join } from "node:path";
import { fileBackendOf } from "../store/open.node.ts";
import type { Store } from "../store/store.ts";
import { storePathOf as storePathOfRoot } from "../ir/pid.ts";
import type { PackageIR } from "../ir/types.ts";
import { buildGraph as coreBuildGraph } from "./build.ts";
import { runProgram as coreRunProgram, type RunProgramOptions } from "./run-program.ts";
import { InProcessRunner, PoolRunner } from "./runners.node.ts";
import type { Runner } from "./runner.ts";
import { NodeSandboxHost } from "./sandbox.node.ts";
import { nodeSourceHost } from "./sources.node.ts";
import { memoryStateFor, type BuildState } from "./state.ts";
import { FileBuildState } from "./state.node.ts";
import type { BuildHost, BuildOptions, BuildResult } from "./types.ts";

export interface NodeHostOptions {
  /** Worker count; 0 runs steps in this thread. Default: the machine's parallelism. */
  workers?: number;
  /** Resolves relative `path` sources. Default: process.cwd(). */
  baseDir?: string;
  runner?: Runner;
  /** Wall-time limit of one command, in ms. */
  timeoutMs?: number;
}

/** Build state of a store: files in a file store's directory, else memory. */
export function buildStateFor(store: Store): BuildState {
  const fb = fileBackendOf(store.backend);
  if (!fb) return memoryStateFor(store);
  let s = fileStates.get(fb.root);
  if (!s) fileStates.set(fb.root, (s = new FileBuildState(fb.root)));
  return s;
}
const fileStates = new Map<string, BuildState>();

export async function nodeBuildHost(store: Store, opts: NodeHostOptions = {}): Promise<BuildHost> {
  let runner = opts.runner;
  if (!runner) {
    if (opts.workers === 0) runner = new InProcessRunner();
    else {
      const { WorkerPool, defaultPool } = await import("../runtime/pool.node.ts");
      runner = new PoolRunner(opts.workers === undefined ? defaultPool() : poolOf(WorkerPool, opts.workers), opts.timeoutMs);
    }
  }
  // File stores keep sandboxes in <store>/builds, where a later build sweeps what a killed one left.
  const fb = fileBackendOf(store.backend);
  const sandboxes = new NodeSandboxHost(fb ? join(fb.root, "builds") : undefined);
  if (fb) sandboxes.sweepStale();
  return { runner, sandboxes, sources: nodeSourceHost(opts.baseDir), state: buildStateFor(store) };
}

const pools = new Map<number, InstanceType<typeof import("../runtime/pool.node.ts").WorkerPool>>();
function poolOf(
  WorkerPool: typeof import("../runtime/pool.node.ts").WorkerPool,
  size: number,
): InstanceType<typeof import("../runtime/pool.node.ts").WorkerPool> {
  let p = pools.get(size);
  if (!p) pools.set(size, (p = new WorkerPool({ size })));
  return p;
}

/** buildGraph with a Node build host (unless opts.host is given). */
export async function buildGraph(roots: PackageIR[], opts: BuildOptions & NodeHostOptions): Promise<BuildResult[]> {
  // A no-op needs no host: plan first, so nothing (not even the pool) is loaded for it.
  if (!opts.host && !opts.check && roots.every((r) => opts.store.has(storePathOfRoot(r)))) return coreBuildGraph(roots, opts);
  const host = opts.host ?? (await nodeBuildHost(opts.store, opts));
  return coreBuildGraph(roots, { ...opts, host });
}

export { ensureSeed, seedVersion } from "./seed.node.ts";
/**
 * runProgram with Node defaults: in this thread (so output streams as it is written) and the
 * closure mounted from host checkouts. `eka run` passes hostCwd = process.cwd().
 */
export async function runProgram(
  storePath: string,
  program: string,
  args: string[],
  opts: Omit<RunProgramOptions, "runner" | "sandboxes"> & Partial<Pick<RunProgramOptions, "runner" | "sandboxes">>,
): Promise<{ exitCode: number; stdout: Uint8Array; stderr: Uint8Array }> {
  return coreRunProgram(storePath, program, args, { ...opts, runner: opts.runner ?? new InProcessRunner(), sandboxes: opts.sandboxes ?? new NodeSandboxHost() });
}
