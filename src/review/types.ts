// The shapes of `eka review`: what evaluation gives, and review.json (REVIEW_VERSION), which every
// other output (review.md, the terminal, later the HTML page and the CI server) is rendered from.
// Imports nothing, so a browser page can use it. docs/review.md documents the JSON.

export const REVIEW_VERSION = 1 as const;

/** One atom of one revision for one host, evaluated to IR without building. */
export interface EvaluatedAtom {
  id: string;
  version: string;
  host: string;
  /** Directory of its atom.toml, relative to the repository root ("" for the root). */
  dir: string;
  pid: string;
  storePath: string;
  /** Ids of the atoms it depends on, transitively (same host). */
  deps: string[];
}

/** An atom.toml (or a lock, or a dependency) that did not evaluate. */
export interface EvaluationError {
  id: string;
  host: string;
  dir: string;
  code: string;
  message: string;
}

/** Why a changed atom's pid changed: the first differing input of its IR comes first. */
export type Reason =
  | { kind: "version"; from: string; to: string }
  | { kind: "source"; name: string; from: string; to: string }
  | { kind: "lock"; name: string; from: string; to: string }
  | { kind: "dependency"; atom: string; chain: string; root: Reason }
  | { kind: "config"; field: string };

export type Change = "added" | "removed" | "unchanged" | "changed" | "evaluation-error";

/** Hydra's categories, plus what a review of a package set adds. Listed in report order. */
export const CATEGORIES = [
  "evaluation-error",
  "newly-failing",
  "dep-failed",
  "size-flag",
  "newly-succeeding",
  "still-failing",
  "added",
  "removed",
  "still-succeeding",
  "not-built",
  "unchanged",
] as const;
export type Category = Exclude<(typeof CATEGORIES)[number], "size-flag">;

/**
 * What happened to one side's build: built now, found in the store (`cached`), failed, failed
 * because a dependency did (`dep-failed`), not attempted (`not-built`: --only/--skip/--depth/
 * --max-builds, or unchanged), or unknown (--base=none, or cached with nothing in the store).
 */
export type BuildStatus = "built" | "cached" | "failed" | "dep-failed" | "not-built" | "unknown";

export interface Side {
  version: string;
  dir: string;
  pid: string;
  storePath: string;
  status: BuildStatus;
  cid: string | null;
  narSize: number | null;
  closureSize: number | null;
}

export interface SizeChange {
  base: number;
  head: number;
  delta: number;
}

/** A runtime dependency (a store path the output refers to) that differs: [A], [R], [U]. */
export interface DepChange {
  change: "A" | "R" | "U";
  name: string;
  from: string | null;
  to: string | null;
  /** NAR size of the new path ([A], [U]), 0 for [R]. */
  addedSize: number;
}

export interface FileChange {
  path: string;
  change: "added" | "removed" | "modified" | "type";
  base: number | null;
  head: number | null;
  /** A unified diff of a text file (--diff). */
  diff?: string;
}

export interface AtomRow {
  /** `id` or `id/host` when the atom builds for several hosts — the key of everything else. */
  key: string;
  id: string;
  host: string;
  change: Change;
  category: Category;
  base: Side | null;
  head: Side | null;
  /** A changed atom's reasons, the first differing input first. */
  reasons: Reason[];
  /** Number of changed or added atoms that depend on it. */
  blastRadius: number;
  /** The directory moved (same id and host). */
  moved: { from: string; to: string } | null;
  /** pid changed, cid the same. */
  identicalOutput: boolean;
  size: { nar: SizeChange; closure: SizeChange; flagged: boolean } | null;
  deps: DepChange[];
  /** Added runtime closure size: NAR sizes of the closure paths the head has and the base lacks. */
  closureAdded: number | null;
  files: FileChange[];
  /** Head failed: the key of the atom whose build failed (itself for a root failure) and the error. */
  failure: { root: string; package: string; storePath: string; code: string; message: string } | null;
  evaluationError: { dir: string; code: string; message: string } | null;
  /** Why it was not built (--only, --skip, --depth, --max-builds). */
  notBuilt: string | null;
}

/** A root failure, the atoms that failed because of it, and the tail of its log. */
export interface FailureGroup {
  root: string;
  package: string;
  dependents: string[];
  /** Index into `logTails`. */
  tail: number | null;
  /** logs/<file> in the output directory, when a log exists. */
  log: string | null;
}

export interface Review {
  version: typeof REVIEW_VERSION;
  base: { rev: string; commit: string };
  head: { rev: string; commit: string };
  options: {
    base: "build" | "cached" | "none";
    only: string[];
    skip: string[];
    depth: number | null;
    maxBuilds: number | null;
    sizeThreshold: { percent: number; bytes: number };
    diff: boolean;
  };
  verdict: { mergeSafe: boolean; reasons: string[] };
  counts: Record<Category | "size-flag", number>;
  atoms: AtomRow[];
  failures: FailureGroup[];
  /** Last 40 lines of failing logs, colour codes stripped; identical tails appear once. */
  logTails: string[];
}
