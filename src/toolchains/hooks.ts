/**
 * What the builder asks the toolchains about a step, without knowing any toolchain: which module a
 * named tool (`seed:llvm`) is, which directories of the inputs the sandbox shows at fixed places
 * (the seed's sysroot at /usr), and whether a toolchain runs a step's command itself — the clang
 * driver, which WASI cannot spawn, becomes a series of commands. toolchains/ never imports
 * builder/: the builder hands over plain data and a function that runs one command.
 */
import { clangToolchain } from "./clang/toolchain.ts";

/** The outcome of one command. */
export interface ToolResult {
  exitCode: number;
  stdout: Uint8Array;
  stderr: Uint8Array;
}

/** Runs one command (argv[0] first) in the step's sandbox, with the step's module, env and cwd. */
export type ToolRunner = (argv: string[]) => Promise<ToolResult>;

/** A step's command as a toolchain sees it: `$out` already substituted. */
export interface StepCommand {
  tool: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** The identity of the module `tool` resolved to (caches keyed per module use it). */
  moduleKey: string;
}

/** A path inside one of the package's input store paths. */
export interface InputFile {
  storePath: string;
  /** Relative to the store path, '/'-separated. */
  path: string;
}

export interface Toolchain {
  /**
   * The module a named tool is, given the package's inputs (name → store path); undefined when the
   * tool is not this toolchain's. `pkg` names the package in errors.
   */
  resolveTool?(tool: string, inputs: Readonly<Record<string, string>>, pkg: string): InputFile | undefined;
  /** Directories of inputs the sandbox shows read-only at fixed guest paths. */
  sandboxMounts?(inputs: Readonly<Record<string, string>>): (InputFile & { guest: string })[];
  /** Runs the step through `run` when it knows how (possibly as several commands); else undefined. */
  runStep?(step: StepCommand, run: ToolRunner): Promise<ToolResult> | undefined;
}

const TOOLCHAINS: readonly Toolchain[] = [clangToolchain];

/** The module a named tool resolves to, if a toolchain knows the tool. */
export function resolveNamedTool(tool: string, inputs: Readonly<Record<string, string>>, pkg: string): InputFile | undefined {
  for (const t of TOOLCHAINS) {
    const f = t.resolveTool?.(tool, inputs, pkg);
    if (f) return f;
  }
  return undefined;
}

/** Every toolchain's extra read-only mounts for a package with these inputs. */
export function toolchainMounts(inputs: Readonly<Record<string, string>>): (InputFile & { guest: string })[] {
  return TOOLCHAINS.flatMap((t) => t.sandboxMounts?.(inputs) ?? []);
}

/** Runs a step's command: through the toolchain that claims it, else as the one command it is. */
export function runStepCommand(step: StepCommand, run: ToolRunner): Promise<ToolResult> {
  for (const t of TOOLCHAINS) {
    const r = t.runStep?.(step, run);
    if (r) return r;
  }
  return run(step.args);
}
