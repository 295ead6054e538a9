// The step executor: runs one command of a step over the step's inputs and gives back its exit
// status, its log (stdout and stderr) and its outputs. The local executors (the worker pool, or in
// this thread) run over the live sandbox mounts; a daemon or a Remote Execution API client can
// build its input root from the declared inputs and store paths instead, and return the outputs.
// The planner and package execution see only this interface.
import type { ViewSpec } from "../runtime/filtered.ts";
import type { FileSystem } from "../runtime/fs.ts";
import type { StdinReader } from "../runtime/options.ts";
import type { TreeReader } from "../store/types.ts";

/**
 * A directory the guest sees at `guest`: a host directory (Node; worker threads open it by name)
 * or a runtime file system held in this thread. `readonly` mounts reject writes. With `view`, the
 * guest sees only those paths of it (and what it creates): a step's declared inputs and outputs.
 */
export type Mount = { guest: string; readonly: boolean; view?: ViewSpec } & ({ host: string } | { fs: FileSystem });

/** A WASM module: a stable key (its store path and file, or guest path # content digest) and its bytes, read once. */
export interface ModuleRef {
  key: string;
  bytes: () => Uint8Array;
}

/** What runs: the module, argv (argv[0] first), env and working directory. */
export interface Command {
  module: ModuleRef;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /**
   * Clocks fixed from SOURCE_DATE_EPOCH and seeded randomness (default). Off only for a program
   * a user runs (`eka run`), which should see the real time.
   */
  deterministic?: boolean;
}

export interface ExecRequest {
  /** For logs and errors: the package step it belongs to. */
  stepId: string;
  command: Command;
  /** The step's declared inputs: guest path (or glob) → digest of what it matched ("store" for an immutable store path). */
  inputs: readonly (readonly [string, string])[];
  /** The store paths the sandbox shows (the input closure); immutable, so named by path. */
  storePaths: readonly string[];
  /** Guest paths the step declares it writes. */
  outputs: readonly string[];
  /** The live sandbox, exactly what the guest sees; a local executor mounts these. */
  mounts: readonly Mount[];
  /** Bytes, or a reader called when the guest reads (in-thread only; the pool reads it to the end first). */
  stdin?: Uint8Array | StdinReader;
  /** Output as the guest writes it (in-thread; the pool hands it over at the end). The result's is then empty. */
  stdout?: (chunk: Uint8Array) => void;
  stderr?: (chunk: Uint8Array) => void;
}

export interface ExecResult {
  exitCode: number;
  stdout: Uint8Array;
  stderr: Uint8Array;
  /**
   * Declared outputs produced away from the sandbox (a remote worker): guest path → the tree to put
   * there. Executors that run over the live mounts write outputs in place and leave this unset.
   */
  outputs?: ReadonlyMap<string, { tree: TreeReader; root: string }>;
}

export interface Executor {
  /** How many commands it runs at once. */
  readonly slots: number;
  execute(req: ExecRequest, signal?: AbortSignal): Promise<ExecResult>;
  close?(): Promise<void>;
}
