// The messages between a page (client.ts) and its build worker (worker.ts). Plain data only: each
// crosses postMessage by structured clone.
import type { ProgressEvent } from "../builder/types.ts";
import type { SessionOptions, StoreEntry, WebBuildResult } from "./session.ts";

export type Request =
  | { op: "open"; options: SessionOptions }
  | { op: "build"; files: Record<string, string>; atomDir: string }
  | { op: "run"; storePath: string; program: string; args: string[]; stdin?: Uint8Array }
  | { op: "list" }
  | { op: "export"; paths: string[] }
  | { op: "import"; bytes: Uint8Array };

export interface OpenResult {
  seedStorePath: string;
  fromCache: { wasm: boolean; tar: boolean };
  ms: { fetch: number; compile: number; import: number; total: number };
  store: string;
}

export interface RunResult {
  exitCode: number;
  stdout: Uint8Array;
  stderr: Uint8Array;
  ms: number;
}

export type Results = {
  open: OpenResult;
  build: WebBuildResult;
  run: RunResult;
  list: StoreEntry[];
  export: Uint8Array;
  import: string[];
};

/** An error as the worker reports it: EkaError's code and details survive the crossing. */
export interface WireError {
  code?: string;
  message: string;
  details?: unknown;
}

export type Event = { type: "progress"; event: ProgressEvent } | { type: "out"; fd: 1 | 2; data: Uint8Array };

export type FromWorker = { id: number; event: Event } | { id: number; ok: unknown } | { id: number; error: WireError };
