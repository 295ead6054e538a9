// Types of the builder's public API. See index.ts for the entry points.
import type { Digest } from "../store/digest.ts";
import type { Store } from "../store/store.ts";
import type { Executor } from "./executor.ts";
import type { SandboxHost } from "./sandbox.ts";
import type { SourceHost } from "./sources.ts";
import type { BuildState } from "./state.ts";

/**
 * Progress the CLI renders; events of different packages interleave. `step-start` comes when a
 * step holds a slot (or is restored from the action cache), so the steps between a `step-start`
 * and its `step-done` are the ones running; `ms` counts from then.
 */
export type ProgressEvent =
  | { type: "plan"; packagesTotal: number; packagesToBuild: number }
  | { type: "package-start"; storePath: string; name: string; stepsTotal: number }
  | { type: "step-start"; storePath: string; stepId: string; stepsDone: number; stepsTotal: number }
  | { type: "step-done"; storePath: string; stepId: string; cached: boolean; ms: number; stepsDone: number; stepsTotal: number }
  | { type: "package-done"; storePath: string; built: boolean; packagesDone: number; packagesToBuild: number; ms: number; stepsRun: number; stepsCached: number }
  | { type: "wait-lock"; storePath: string }
  /** A path in the store whose objects are damaged is rebuilt to mend them; `problems` are verify's lines. */
  | { type: "repair"; storePath: string; name: string; problems: string[] };

/** Where and how steps run. Node fills it in (builder/index.node.ts); a browser passes its own. */
export interface BuildHost {
  executor: Executor;
  sandboxes: SandboxHost;
  sources: SourceHost;
  /** Default: the store's directory for file stores, memory otherwise. */
  state?: BuildState;
}

export interface BuildOptions {
  store: Store;
  /** Or a function that makes one, called only when something is to be built (a no-op loads no executor). */
  host?: BuildHost | (() => Promise<BuildHost>);
  /** Commands run at once. Default: the executor's slots. */
  jobs?: number;
  /** Rebuild roots already in the store in a fresh sandbox (no action cache) and compare bytes. */
  check?: boolean;
  /**
   * Re-hash the objects of every output the build finds in the store, and rebuild a damaged one to
   * mend it. Without it a build still rebuilds an output whose objects are missing or have the
   * wrong size (a stat each), but a same-size corruption is only found by this or `eka store verify`.
   */
  repair?: boolean;
  onProgress?: (e: ProgressEvent) => void;
  signal?: AbortSignal;
  /**
   * Called for an input given as a plain store path (such as the seed) that a package to build needs
   * and the store lacks; true once it is in the store. Without it, or on false, the build fails
   * with E_NOT_IN_STORE.
   */
  provideInput?: (storePath: string) => Promise<boolean>;
}

export interface BuildResult {
  pid: Digest;
  storePath: string;
  /** BLAKE3 merkle root of the output tree (the store's cid). */
  cid: string;
  /** False when it was already in the store (or another process built it meanwhile). */
  built: boolean;
  /** Store paths the output refers to (found by scanning its bytes). */
  references: string[];
  /** NAR size of the output, and of it plus everything it refers to, transitively. */
  narSize: number;
  closureSize: number;
  /** Files inside the output (by path, "." for itself) whose damaged objects this build mended by rebuilding. */
  repaired?: string[];
  /** With `check: true`: how the rebuild compared. */
  check?: CheckReport;
}

export interface CheckReport {
  identical: boolean;
  /** Files that differ between the stored output and the rebuild, by path inside the output. */
  differences: { path: string; kind: "added" | "removed" | "changed" | "type" }[];
}
