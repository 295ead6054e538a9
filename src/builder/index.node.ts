/**
 * Node entry of builder/: the door `buildGraph` with the build host filled in (made only when
 * something is to be built, so a no-op loads neither executor nor runtime), and `runProgram` in
 * this thread over host directories.
 */
import type { PackageIR } from "../ir/types.ts";
import { buildGraph as coreBuildGraph } from "./build.ts";
import type { ExecResult } from "./executor.ts";
import { nodeBuildHost, type NodeHostOptions } from "./host.node.ts";
import { runProgram as coreRunProgram, type RunProgramOptions } from "./run-program.ts";
import { NodeSandboxHost } from "./sandbox.node.ts";
import type { BuildOptions, BuildResult } from "./types.ts";

export { buildStateFor, nodeBuildHost, nodeExecutor, type NodeHostOptions } from "./host.node.ts";

/** buildGraph with a Node build host (unless opts.host is given). */
export async function buildGraph(roots: PackageIR[], opts: BuildOptions & NodeHostOptions): Promise<BuildResult[]> {
  const host = opts.host ?? (() => nodeBuildHost(opts.store, opts));
  return coreBuildGraph(roots, { ...opts, host });
}

/**
 * runProgram with Node defaults: in this thread (output streams as it is written, stdin is read
 * when the program asks) and the closure mounted from host checkouts. `eka run` passes hostCwd.
 */
export async function runProgram(
  storePath: string,
  program: string,
  args: string[],
  opts: Omit<RunProgramOptions, "executor" | "sandboxes"> & Partial<Pick<RunProgramOptions, "executor" | "sandboxes">>,
): Promise<ExecResult> {
  const executor = opts.executor ?? (await import("./executors.node.ts")).nodeInThreadExecutor();
  return coreRunProgram(storePath, program, args, { ...opts, executor, sandboxes: opts.sandboxes ?? new NodeSandboxHost() });
}
