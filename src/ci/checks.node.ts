// Node-only: what a job tells GitHub, as check runs on its head commit — `eka/eval` (the gate:
// did every atom evaluate), `eka/review` (the verdict, review.md as the summary) and one
// `eka/build: ATOM` per newly failing atom (at most 40). Run ids are remembered in the queue per
// commit and name, so a re-run of the same commit updates its runs in place.
import type { SideEvaluation } from "../review/evaluate.node.ts";
import { logTail } from "../review/report.ts";
import type { Review } from "../review/types.ts";
import type { Annotation, CheckRuns, CheckRunUpdate } from "./github.node.ts";
import type { CiQueue, Job } from "./queue.node.ts";

export const EVAL_CHECK = "eka/eval";
export const REVIEW_CHECK = "eka/review";
export const BUILD_CHECK_PREFIX = "eka/build: ";
export const MAX_ATOM_CHECKS = 40;

export class JobChecks {
  constructor(
    private readonly runs: CheckRuns,
    private readonly queue: CiQueue,
    private readonly job: Job,
    private readonly detailsUrl: string | undefined,
  ) {}

  /** The gate was concluded: an end of the job leaves it as it is. */
  private evalDone = false;

  private async put(name: string, u: CheckRunUpdate): Promise<void> {
    const sha = this.job.headSha;
    const id = await this.runs.put(this.queue.checkRunId(sha, name), name, sha, { external_id: String(this.job.id), ...(this.detailsUrl ? { details_url: this.detailsUrl } : {}), ...u });
    this.queue.setCheckRunId(sha, name, id);
  }

  async started(): Promise<void> {
    const now = new Date().toISOString();
    for (const name of [EVAL_CHECK, REVIEW_CHECK]) await this.put(name, { status: "in_progress", started_at: now, output: { title: "eka is evaluating", summary: `Job ${this.job.id}: evaluating ${short(this.job.baseSha)}..${short(this.job.headSha)}.` } });
  }

  /** The gate, once both sides are evaluated: failure when an atom of HEAD did not evaluate. */
  async evaluated(head: SideEvaluation): Promise<void> {
    const errors = head.errors;
    const annotations: Annotation[] = errors.map((e) => ({
      path: `${e.dir ? e.dir + "/" : ""}atom.toml`,
      start_line: lineOf(e.message),
      end_line: lineOf(e.message),
      annotation_level: "failure",
      title: `${e.id}: ${e.code}`,
      message: e.message,
    }));
    this.evalDone = true;
    await this.put(EVAL_CHECK, {
      status: "completed",
      conclusion: errors.length ? "failure" : "success",
      completed_at: new Date().toISOString(),
      output: {
        title: errors.length ? `${errors.length} atom${errors.length === 1 ? "" : "s"} did not evaluate` : `${head.atoms.length} atoms evaluated`,
        summary: errors.length ? errors.map((e) => `- \`${e.id}\` (${e.dir || "."}): ${e.code}: ${e.message}`).join("\n") : `Every atom.toml of ${short(this.job.headSha)} evaluated.`,
        annotations,
      },
    });
  }

  /** The verdict, and a run per newly failing atom; earlier atom runs of this commit that no longer fail are marked fixed. */
  async reviewed(r: Review, md: string): Promise<void> {
    const now = new Date().toISOString();
    await this.put(REVIEW_CHECK, {
      status: "completed",
      conclusion: r.verdict.mergeSafe ? "success" : "failure",
      completed_at: now,
      output: { title: r.verdict.mergeSafe ? "merge-safe" : `not merge-safe: ${r.verdict.reasons.join(", ")}`, summary: md },
    });
    const failing = r.atoms.filter((a) => a.category === "newly-failing").slice(0, MAX_ATOM_CHECKS);
    const named = new Set<string>();
    for (const a of failing) {
      const name = BUILD_CHECK_PREFIX + a.key;
      named.add(name);
      const g = r.failures.find((x) => x.root === a.key);
      const tail = g?.tail !== null && g?.tail !== undefined ? r.logTails[g.tail] : undefined;
      await this.put(name, {
        status: "completed",
        conclusion: "failure",
        completed_at: now,
        output: {
          title: `${a.key} fails to build${g?.dependents.length ? ` (and ${g.dependents.length} dependent${g.dependents.length === 1 ? "" : "s"})` : ""}`,
          summary: `${a.failure?.code ?? "E_BUILD_FAILED"}: ${a.failure?.message ?? "build failed"}${g?.dependents.length ? `\n\nDependents failing with it: ${g.dependents.map((d) => `\`${d}\``).join(", ")}` : ""}`,
          ...(tail !== undefined ? { text: "```\n" + logTail(tail) + "\n```" } : {}),
        },
      });
    }
    for (const run of this.queue.checkRuns(this.job.headSha)) {
      if (!run.name.startsWith(BUILD_CHECK_PREFIX) || named.has(run.name)) continue;
      await this.put(run.name, { status: "completed", conclusion: "success", completed_at: now, output: { title: "builds now", summary: `${run.name.slice(BUILD_CHECK_PREFIX.length)} no longer fails (job ${this.job.id}).` } });
    }
  }

  /** The job could not finish: cancelled (a newer head, a closed PR) or an error. */
  async ended(conclusion: "cancelled" | "failure", why: string): Promise<void> {
    const now = new Date().toISOString();
    for (const name of this.evalDone ? [REVIEW_CHECK] : [EVAL_CHECK, REVIEW_CHECK]) {
      if (this.queue.checkRunId(this.job.headSha, name) === null) continue;
      await this.put(name, { status: "completed", conclusion, completed_at: now, output: { title: conclusion === "cancelled" ? "cancelled" : "eka could not review", summary: why } });
    }
  }
}

function short(sha: string): string {
  return sha.slice(0, 12);
}

/** `…/atom.toml:3: …` → 3; else 1. */
function lineOf(message: string): number {
  const m = /atom\.(?:toml|lock):(\d+)/.exec(message);
  return m ? Math.max(1, Number(m[1])) : 1;
}
