// How a step is executed. Kept narrow so tests can inject faults and so a browser (no worker pool)
// and a Node pool (worker threads) plug in the same way.
type FileSystem = unknown;

/** A step ready to run: tool resolved to bytes or a module key, mounts resolved to file systems. */
export interface RunnableStep {
  /** Step id, for logs and errors. */
  id: string;
  /** The WASM module: its bytes (cached/compiled once by key) and a stable key. */
  module: { key: string; bytes: () => Uint8Array };
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Guest path → file system; exactly what the sandbox shows. */
  mounts: { guest: string; fs: FileSystem }[];
}

export interface StepOutcome {
  exitCode: number;
  stdout: Uint8Array;
  stderr: Uint8Array;
}

export interface Runner {
  /** Parallelism this runner can use. */
  readonly slots: number;
  run(step: RunnableStep, signal?: AbortSignal): Promise<StepOutcome>;
  close?(): Promise<void>;
}
