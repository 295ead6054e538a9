import { EkaError } from "../errors.ts";

export interface RunProgramOptions<S = unknown> {
  store: S;
  /** Host directory mounted at the guest's cwd (Node only; the CLI passes process.cwd()). */
  hostCwd?: string;
  env?: Record<string, string>;
  stdin?: Uint8Array;
  stdout?: (b: Uint8Array) => void;
  stderr?: (b: Uint8Array) => void;
}

/**
 * Runs `program` (a path inside `storePath`, e.g. `bin/hello.wasm`, or a bare name looked up in
 * `bin/`) with the package's closure visible at /nix/store. Returns the exit code.
 */
export async function runProgram(storePath: string, program: string, args: string[], opts: RunProgramOptions): Promise<number> {
  void storePath;
  void program;
  void args;
  void opts;
  throw new EkaError("E_UNIMPLEMENTED", "runProgram is not implemented yet");
}
