// How a step's WASM command is executed. Narrow so tests can inject faults and so the worker pool
// (Node) and an in-process host (browser, or no pool) plug in the same way.
import type { TreeReader } from "../store/types.ts";

/**
 * A directory the guest sees at `guest`: a host directory (Node; worker threads can open it by
 * name) or a tree held in this thread. `readonly` mounts reject writes.
 */
export type Mount = { guest: string; readonly: boolean } & ({ host: string } | { tree: TreeReader } | { fs: unknown });

/** One WASM command, ready to run. */
export interface RunnableCommand {
  /** For logs and errors: the package step it belongs to. */
  stepId: string;
  /** A stable key for the module (its store path and file), and how to read its bytes once. */
  module: { key: string; bytes: () => Uint8Array };
  /** argv, argv[0] first. */
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Exactly what the sandbox shows; nothing else of the host is visible. */
  mounts: Mount[];
  stdin?: Uint8Array;
  /** In-thread runners stream output here as the guest writes it (the outcome's is then empty). */
  stdout?: (chunk: Uint8Array) => void;
  stderr?: (chunk: Uint8Array) => void;
}

export interface CommandOutcome {
  exitCode: number;
  stdout: Uint8Array;
  stderr: Uint8Array;
}

export interface Runner {
  /** How many commands it runs at once. */
  readonly slots: number;
  run(cmd: RunnableCommand, signal?: AbortSignal): Promise<CommandOutcome>;
  close?(): Promise<void>;
}
