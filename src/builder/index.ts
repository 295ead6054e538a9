/**
 * The builder: plan (what is missing from the store), schedule (packages and steps in dependency
 * order, in parallel), execute (steps in a sandbox through an Executor), ingest ($out into the
 * store). Core entry; Node callers use ./index.node.ts, which fills in the build host.
 */
export type { BuildHost, BuildOptions, BuildResult, CheckReport, ProgressEvent } from "./types.ts";
export type { Command, ExecRequest, ExecResult, Executor, ModuleRef, Mount } from "./executor.ts";
export type { SandboxHost, WorkDir } from "./sandbox.ts";
export type { SourceHost } from "./sources.ts";
export type { BuildState, Lock } from "./state.ts";
export { MemoryBuildState } from "./state.ts";
export { buildEach, buildGraph, type RootOutcome } from "./build.ts";
export { compareTrees } from "./check.ts";
export { plan, type Plan, type PlanNode } from "./plan.ts";
export { fetchSource, loadSource, sourceStorePath } from "./sources.ts";
export { scanReferences } from "./references.ts";
export { InThreadExecutor, type InThreadOptions } from "./in-thread.ts";
export { MemorySandboxHost, MemoryWorkDir } from "./memory-sandbox.ts";
export { runProgram, resolveProgram, type RunProgramOptions } from "./run-program.ts";
export { cbuildSteps, type CBuildSpec } from "../toolchains/cbuild/index.ts";
