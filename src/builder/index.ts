/**
 * The builder: plan (what is missing from the store), schedule (packages and steps in dependency
 * order, in parallel), execute (steps in a sandbox through a Runner), ingest ($out into the store).
 * Core entry; Node callers use ./index.node.ts, which fills in the build host.
 */
export type { BuildHost, BuildOptions, BuildResult, CheckReport, ProgressEvent } from "./types.ts";
export type { Runner, RunnableCommand, CommandOutcome, Mount } from "./runner.ts";
export type { SandboxHost, WorkDir } from "./sandbox.ts";
export type { SourceHost } from "./sources.ts";
export type { BuildState, Lock } from "./state.ts";
export { MemoryBuildState } from "./state.ts";
export { buildGraph, compareTrees } from "./build.ts";
export { plan, type Plan, type PlanNode } from "./plan.ts";
export { fetchSource, loadSource, sourceStorePath } from "./sources.ts";
export { importSeed, seedStorePath, SEED_MODULE } from "./seed.ts";
export { scanReferences } from "./execute.ts";
export { MemorySandboxHost, MemoryWorkDir, WasiRunner } from "./memory-sandbox.ts";
export { runProgram, resolveProgram, type RunProgramOptions } from "./run-program.ts";
export { cbuildSteps, type CBuildSpec } from "../toolchains/cbuild/index.ts";
