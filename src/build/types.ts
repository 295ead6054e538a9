// Types of the builder's public API. See index.ts for the entry points.
import type { PackageIR } from "../ir/types.ts";

/** Progress the CLI renders; events arrive in order for one package, interleaved across packages. */
export type ProgressEvent =
  | { type: "plan"; packagesTotal: number; packagesToBuild: number }
  | { type: "package-start"; storePath: string; name: string; stepsTotal: number }
  | { type: "step-start"; storePath: string; stepId: string; stepsDone: number; stepsTotal: number }
  | { type: "step-done"; storePath: string; stepId: string; cached: boolean; ms: number; stepsDone: number; stepsTotal: number }
  | { type: "package-done"; storePath: string; built: boolean; packagesDone: number; packagesTotal: number; ms: number }
  | { type: "wait-lock"; storePath: string };

export interface BuildOptions<S = unknown> {
  store: S;
  /** Steps run at once (worker count). Default: the pool's size, or 1 in-process. */
  jobs?: number;
  /** Rebuild roots already in the store in a fresh sandbox and compare bytes. */
  check?: boolean;
  onProgress?: (e: ProgressEvent) => void;
  signal?: AbortSignal;
  /** How steps are executed; default: the worker pool under Node, in-process elsewhere. */
  runner?: import("./runner.ts").Runner;
}

export interface BuildResult {
  pid: string;
  storePath: string;
  /** BLAKE3 merkle root of the output tree (the store's cid). */
  cid: string;
  /** False when it was already in the store (or another process built it). */
  built: boolean;
  /** Set with `check: true`: files whose bytes differ between the two builds. */
  check?: CheckReport;
}

export interface CheckReport {
  identical: boolean;
  differences: { path: string; kind: "added" | "removed" | "changed" | "type" }[];
}

export type { PackageIR };
