/**
 * Node entry of builder/: the door `buildGraph` with the build host filled in, and `runProgram` in
 * this thread over host directories. The host (sandboxes, sources, executors) is imported only when
 * something is to be built, so a no-op loads neither executor nor runtime.
 */
import type { PackageIR } from "../ir/types.ts";
import type { Store } from "../store/store.ts";
import { holdTempRoots } from "../store/temproots.node.ts";
import { buildEach as coreBuildEach, buildGraph as coreBuildGraph, type RootOutcome } from "./build.ts";
import type { ExecResult, Executor } from "./executor.ts";
import type { NodeHostOptions } from "./host.node.ts";
import { runProgram as coreRunProgram, type RunProgramOptions } from "./run-program.ts";
import type { BuildHost, BuildOptions, BuildResult } from "./types.ts";

export { buildStateFor } from "./build-state.node.ts";
export type { NodeHostOptions } from "./host.node.ts";
export type { RootOutcome } from "./build.ts";

/**
 * buildGraph with a Node build host (unless opts.host is given). A file store holds temp roots
 * from here until it is closed: what the build finds and makes stays through a concurrent gc.
 */
export async function buildGraph(roots: PackageIR[], opts: BuildOptions & NodeHostOptions): Promise<BuildResult[]> {
  holdTempRoots(opts.store);
  return coreBuildGraph(roots, { ...opts, host: opts.host ?? (() => nodeBuildHost(opts.store, opts)) });
}

/** buildEach (one outcome per root; a failure stops only what needs it) with a Node build host. */
export async function buildEach(roots: PackageIR[], opts: BuildOptions & NodeHostOptions): Promise<RootOutcome[]> {
  holdTempRoots(opts.store);
  return coreBuildEach(roots, { ...opts, host: opts.host ?? (() => nodeBuildHost(opts.store, opts)) });
}

/** Node's build host for `store`: see host.node.ts. */
export async function nodeBuildHost(store: Store, opts: NodeHostOptions = {}): Promise<BuildHost> {
  return (await import("./host.node.ts")).nodeBuildHost(store, opts);
}

/** The in-thread executor (`workers: 0`) or one over a shared worker pool of that size. */
export async function nodeExecutor(workers?: number, timeoutMs?: number): Promise<Executor> {
  return (await import("./host.node.ts")).nodeExecutor(workers, timeoutMs);
}

/**
 * runProgram with Node defaults: in this thread (output streams as it is written, stdin is read
 * when the program asks) and the closure mounted from host checkouts, held as temp roots. `eka
 * run` passes hostCwd.
 */
export async function runProgram(
  storePath: string,
  program: string,
  args: string[],
  opts: Omit<RunProgramOptions, "executor" | "sandboxes"> & Partial<Pick<RunProgramOptions, "executor" | "sandboxes">>,
): Promise<ExecResult> {
  holdTempRoots(opts.store);
  const executor = opts.executor ?? (await import("./executors.node.ts")).nodeInThreadExecutor({ clangFlags: false });
  const sandboxes = opts.sandboxes ?? new (await import("./sandbox.node.ts")).NodeSandboxHost();
  return coreRunProgram(storePath, program, args, { ...opts, executor, sandboxes });
}
