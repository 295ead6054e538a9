// The review as one data structure (review.json), computed once: rows in, counts, verdict, failure
// groups and merged log tails out. Every output is a renderer of it (markdown.ts, later HTML).
import { canonicalize } from "json-canonicalize";
import { CATEGORIES, REVIEW_VERSION, type AtomRow, type FailureGroup, type Review } from "./types.ts";

export const LOG_TAIL_LINES = 40;

export interface ReviewInput {
  base: Review["base"];
  head: Review["head"];
  options: Review["options"];
  rows: AtomRow[];
  /** A failed package's log by row key of the root failure (full text), when the store has one. */
  logs: Map<string, string>;
}

export function makeReview(i: ReviewInput): Review {
  const counts = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Review["counts"];
  for (const r of i.rows) {
    counts[r.category]++;
    if (r.size?.flagged) counts["size-flag"]++;
  }
  const logTails: string[] = [];
  const failures: FailureGroup[] = [];
  const roots = new Map<string, FailureGroup>();
  for (const r of i.rows) {
    if (!r.failure || (r.category !== "newly-failing" && r.category !== "dep-failed" && r.category !== "still-failing")) continue;
    let g = roots.get(r.failure.root);
    if (!g) {
      const log = i.logs.get(r.failure.root);
      let tail: number | null = null;
      if (log !== undefined) {
        const t = logTail(log);
        tail = logTails.indexOf(t);
        if (tail < 0) tail = logTails.push(t) - 1;
      }
      g = { root: r.failure.root, package: r.failure.package, dependents: [], tail, log: log !== undefined ? logFileName(r.failure.root) : null };
      roots.set(r.failure.root, g);
      failures.push(g);
    }
    if (r.key !== r.failure.root) g.dependents.push(r.key);
  }
  const reasons: string[] = [];
  const n = (k: keyof Review["counts"], what: string) => counts[k] && reasons.push(`${counts[k]} ${what}`);
  n("evaluation-error", counts["evaluation-error"] === 1 ? "evaluation error" : "evaluation errors");
  n("newly-failing", "newly failing");
  n("size-flag", counts["size-flag"] === 1 ? "size flag" : "size flags");
  return { version: REVIEW_VERSION, base: i.base, head: i.head, options: i.options, verdict: { mergeSafe: reasons.length === 0, reasons }, counts, atoms: i.rows, failures, logTails };
}

/** review.json's bytes: RFC 8785 canonical JSON, so equal reviews are equal files. */
export function reviewJson(r: Review): string {
  return canonicalize(r) + "\n";
}

/** The exit status the verdict gives: 0 merge-safe, 1 regressions. */
export function exitCodeOf(r: Review): 0 | 1 {
  return r.verdict.mergeSafe ? 0 : 1;
}

/** Colour and other terminal escape codes out, the last 40 lines kept. */
export function logTail(log: string, lines = LOG_TAIL_LINES): string {
  // eslint-disable-next-line no-control-regex
  const plain = log.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(\u0007|\u001b\\)|\u001b[@-Z\\-_]/g, "").replace(/\r\n?/g, "\n");
  return plain.trimEnd().split("\n").slice(-lines).join("\n");
}

/** logs/<file> for a row key (`id` or `id/host`). */
export function logFileName(key: string): string {
  return `${key.replace(/[^A-Za-z0-9+._-]/g, "_")}.log`;
}
