// Node-only: one review of BASE..HEAD of a repository of atoms, start to end — evaluate both
// revisions in temporary worktrees, classify, build what changed, compare — as the one function
// `eka review` and the CI server (src/ci/) both call; and the output directory it writes.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildStateFor } from "../builder/index.node.ts";
import type { ProgressEvent } from "../builder/types.ts";
import type { Store } from "../store/store.ts";
import { buildReview } from "./build.node.ts";
import { classify, type Classified } from "./classify.ts";
import { compareRow } from "./compare.ts";
import { commitOf, evaluateTree, matchErrorHosts, repoRoot, withWorktree, type SideEvaluation } from "./evaluate.node.ts";
import { renderHtml } from "./html.ts";
import { renderMarkdown } from "./markdown.ts";
import { logTail, makeReview, reviewJson } from "./report.ts";
import type { Review } from "./types.ts";

export interface RunReviewOptions {
  store: Store;
  options: Review["options"];
  jobs?: number;
  onProgress?: (e: ProgressEvent) => void;
  /** Called once both sides are evaluated and classified, before anything is built. */
  onEvaluated?: (e: { base: SideEvaluation; head: SideEvaluation; classified: Classified[] }) => void | Promise<void>;
  /**
   * Runs the build phase: the CLI wraps it so Ctrl-C aborts the signal; the CI server passes its
   * job's cancel signal. Default: no signal.
   */
  around?: (build: (signal: AbortSignal | undefined) => Promise<void>) => Promise<void>;
}

export interface ReviewOutcome {
  review: Review;
  /** A failed package's full log by the row key of its root failure. */
  logs: Map<string, string>;
}

/** Reviews `baseRev`..`headRev` of the repository holding `dir`. */
export async function runReview(dir: string, baseRev: string, headRev: string, o: RunReviewOptions): Promise<ReviewOutcome> {
  const repo = await repoRoot(dir);
  const [baseCommit, headCommit] = await Promise.all([commitOf(repo, baseRev), commitOf(repo, headRev)]);
  const store = o.store;
  return withWorktree(repo, baseCommit, (baseDir) =>
    withWorktree(repo, headCommit, async (headDir) => {
      const base = await evaluateTree(baseDir, baseCommit);
      const head = await evaluateTree(headDir, headCommit);
      matchErrorHosts(head, base);
      matchErrorHosts(base, head);
      const cs = classify(base, head);
      await o.onEvaluated?.({ base, head, classified: cs });
      const build = (signal: AbortSignal | undefined) =>
        buildReview(cs, head, base, store, { ...o.options, ...(o.jobs ? { jobs: o.jobs } : {}), ...(o.onProgress ? { onProgress: o.onProgress } : {}), ...(signal ? { signal } : {}) });
      await (o.around ? o.around(build) : build(undefined));
      const rows = cs.map((c) => c.row);
      for (const row of rows) compareRow(row, store, o.options);
      const state = buildStateFor(store);
      const logs = new Map<string, string>();
      for (const row of rows) {
        if (!row.failure || logs.has(row.failure.root)) continue;
        const log = state.readLog(row.failure.storePath);
        if (log !== null) logs.set(row.failure.root, log);
      }
      return { review: makeReview({ base: { rev: baseRev, commit: baseCommit }, head: { rev: headRev, commit: headCommit }, options: o.options, rows, logs }), logs };
    }),
  );
}

/** Writes review.json, review.md, index.html and logs/ (each root failure's full log) into `dir`. */
export function writeReviewOutputs(dir: string, r: ReviewOutcome): { json: string; md: string } {
  const json = reviewJson(r.review);
  const md = renderMarkdown(r.review);
  mkdirSync(join(dir, "logs"), { recursive: true });
  writeFileSync(join(dir, "review.json"), json);
  writeFileSync(join(dir, "review.md"), md);
  writeFileSync(join(dir, "index.html"), renderHtml(r.review));
  for (const g of r.review.failures) {
    const log = r.logs.get(g.root);
    if (g.log && log !== undefined) writeFileSync(join(dir, "logs", g.log), logTail(log, Infinity) + "\n");
  }
  return { json, md };
}
