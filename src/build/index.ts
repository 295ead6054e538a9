/**
 * The builder: plan (what is missing from the store), schedule (packages and steps in dependency
 * order, in parallel), execute (steps in a sandbox through a Runner), ingest ($out into the store).
 */
export type { BuildOptions, BuildResult, CheckReport, ProgressEvent } from "./types.ts";
export type { Runner, RunnableStep, StepOutcome } from "./runner.ts";
export { buildGraph } from "./build.ts";
export { runProgram, type RunProgramOptions } from "./run-program.ts";
