// Node-only: one job of the CI server — fetch the two commits into the server's own clone of the
// repository, run the review (src/review/run.node.ts, as `eka review` does), keep review.json,
// review.md, index.html, logs/ and job.log in the job's directory, report check runs, and push
// what built to the binary cache. Results are cached per pid by the store shared by every job:
// a pid built for one pull request is not rebuilt for another.
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { ProgressEvent } from "../builder/types.ts";
import { EkaError, isEkaError } from "../errors.ts";
import { runReview, writeReviewOutputs } from "../review/run.node.ts";
import type { Store } from "../store/store.ts";
import { git, gitMessage } from "../util/git.node.ts";
import type { JobChecks } from "./checks.node.ts";
import type { CiConfig } from "./config.node.ts";
import type { Job, JobSummary } from "./queue.node.ts";

/** What the portal shows of a running job. */
export interface LiveJob {
  id: number;
  phase: "fetching" | "evaluating" | "building" | "reporting" | "done" | "failed" | "cancelled";
  /** Packages by store path: started, built, found in the store. */
  builds: { storePath: string; name: string; state: "building" | "built" | "cached"; ms: number | null }[];
  /** Atoms by change once both sides are evaluated (added, removed, changed, unchanged, evaluation-error). */
  changes: Record<string, number> | null;
  /** Packages the build plans to build, over every graph of the job so far. */
  toBuild: number;
  /** Bumped on every change (the portal's event stream sends it). */
  version: number;
}

export interface JobDeps {
  config: CiConfig;
  store: Store;
  checks: JobChecks | null;
  signal: AbortSignal;
  live: LiveJob;
  changed: () => void;
  /** Serialises git's writes to the server's clone. */
  fetchLock: <T>(f: () => Promise<T>) => Promise<T>;
}

export function jobDir(config: CiConfig, id: number): string {
  return join(config.state, "jobs", String(id));
}

/** The server's clone of `repo` (a work tree is never checked out; reviews use worktrees of it). */
export function cloneDir(config: CiConfig): string {
  return join(config.state, "repo");
}

export async function runJob(job: Job, d: JobDeps): Promise<JobSummary> {
  const dir = jobDir(d.config, job.id);
  mkdirSync(dir, { recursive: true });
  const log = (line: string) => appendFileSync(join(dir, "job.log"), `${new Date().toISOString()} ${line}\n`);
  const phase = (p: LiveJob["phase"]) => {
    d.live.phase = p;
    d.live.version++;
    d.changed();
  };
  log(`job ${job.id} (${job.kind}${job.pr !== null ? ` #${job.pr}` : ""}): ${job.baseSha}..${job.headSha}${job.only.length ? ` only ${job.only.join(" ")}` : ""}`);
  phase("fetching");
  const repo = cloneDir(d.config);
  await d.fetchLock(() => fetchCommits(d.config.repo, repo, [job.baseSha, job.headSha]));
  log("fetched");
  const linesChanged = await numstat(repo, job.baseSha, job.headSha);
  d.signal.throwIfAborted();
  phase("evaluating");
  await d.checks?.started();
  const byPath = new Map<string, LiveJob["builds"][number]>();
  const onProgress = (e: ProgressEvent) => {
    if (e.type === "plan") d.live.toBuild += e.packagesToBuild;
    else if (e.type === "package-start") {
      const b = { storePath: e.storePath, name: e.name, state: "building" as const, ms: null };
      byPath.set(e.storePath, b);
      d.live.builds.push(b);
    } else if (e.type === "package-done") {
      const b = byPath.get(e.storePath);
      if (b) Object.assign(b, { state: e.built ? "built" : "cached", ms: Math.round(e.ms) });
    } else return;
    d.live.version++;
    d.changed();
  };
  const outcome = await runReview(repo, job.baseSha, job.headSha, {
    store: d.store,
    options: { base: d.config.review.base, only: job.only, skip: [], depth: null, maxBuilds: d.config.review.maxBuilds, sizeThreshold: d.config.review.sizeThreshold, diff: false },
    ...(d.config.jobs ? { jobs: d.config.jobs } : {}),
    onProgress,
    onEvaluated: async ({ head, classified }) => {
      const changes: Record<string, number> = {};
      for (const c of classified) changes[c.row.change] = (changes[c.row.change] ?? 0) + 1;
      d.live.changes = changes;
      log(`evaluated: ${head.atoms.length} atoms, ${head.errors.length} evaluation errors`);
      await d.checks?.evaluated(head);
      phase("building");
    },
    around: (build) => build(d.signal),
  });
  // A build the signal stopped ends as failed rows; a cancelled job keeps no review of them.
  d.signal.throwIfAborted();
  const r = outcome.review;
  const { md } = writeReviewOutputs(dir, outcome);
  log(`reviewed: ${r.verdict.mergeSafe ? "merge-safe" : `not merge-safe (${r.verdict.reasons.join(", ")})`}`);
  phase("reporting");
  await d.checks?.reviewed(r, md);
  if (d.config.cache) await pushToCache(d.config.cache, d.store, r, log);
  return {
    mergeSafe: r.verdict.mergeSafe,
    counts: r.counts,
    rebuilds: r.atoms.filter((a) => a.change === "changed" || a.change === "added").length,
    newlyFailing: r.counts["newly-failing"],
    linesChanged,
  };
}

/** Fetches every branch (and GitHub's pull request refs) of `url`, then any commit still missing by itself. */
export async function fetchCommits(url: string, repo: string, commits: string[]): Promise<void> {
  mkdirSync(repo, { recursive: true });
  await git(["init", "-q"], repo);
  const missing = async () => {
    const out: string[] = [];
    for (const c of commits) if (!(await git(["cat-file", "-e", `${c}^{commit}`], repo).then(() => true, () => false))) out.push(c);
    return out;
  };
  if ((await missing()).length === 0) return;
  try {
    await git(["fetch", "-q", "--force", "--no-tags", url, "+refs/heads/*:refs/remotes/src/*", "+refs/pull/*/head:refs/remotes/src/pull/*"], repo);
  } catch (e) {
    throw new EkaError("E_CI_FETCH", `cannot fetch ${url} into ${repo}: ${gitMessage(e)}`);
  }
  for (const c of await missing()) {
    await git(["fetch", "-q", "--no-tags", url, c], repo).catch((e: unknown) => {
      throw new EkaError("E_CI_FETCH", `commit ${c} is not in ${url} (${gitMessage(e)}); was it pushed?`);
    });
  }
}

async function numstat(repo: string, base: string, head: string): Promise<number> {
  const out = await git(["diff", "--numstat", base, head], repo).then((r) => r.stdout, () => "");
  let n = 0;
  for (const line of out.split("\n")) {
    const m = /^(\d+)\t(\d+)\t/.exec(line);
    if (m) n += Number(m[1]) + Number(m[2]);
  }
  return n;
}

/** The head outputs that exist (built now or before), their closures pushed. */
async function pushToCache(cache: NonNullable<CiConfig["cache"]>, store: Store, r: import("../review/types.ts").Review, log: (s: string) => void): Promise<void> {
  const paths = r.atoms.filter((a) => a.head && (a.head.status === "built" || a.head.status === "cached") && store.queryPathInfo(a.head.storePath)).map((a) => (a.head as { storePath: string }).storePath);
  if (paths.length === 0) return;
  try {
    const opts = cache.secretKey !== undefined ? { secretKey: cache.secretKey } : {};
    if (cache.to.startsWith("oci")) {
      const { pushToOciCache } = await import("../dist/oci.node.ts");
      log(`cache: pushed ${(await pushToOciCache(store, cache.to, paths, opts)).length} paths to ${cache.to}`);
    } else {
      const { writeBinaryCache } = await import("../store/binary-cache.node.ts");
      log(`cache: wrote ${writeBinaryCache(store, cache.to, paths, opts).written.length} paths to ${cache.to}`);
    }
  } catch (e) {
    // The review stands; a cache that refused is said in the job's log.
    log(`cache: push to ${cache.to} failed: ${isEkaError(e) ? `${e.code}: ${e.message}` : String(e)}`);
  }
}
