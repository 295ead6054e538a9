// Node-only: the CI server's durable state in one SQLite file (node-sqlite3-wasm: SQLite compiled
// to WebAssembly, writing a real file through node:fs, so what is committed survives a crash).
// Deliveries seen, pull requests, jobs, and the check run ids each commit's runs were given.
// Every call is one statement or one transaction, so a process killed at any point leaves the
// queue as it was before or after the call.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import * as sqliteNs from "node-sqlite3-wasm";

// A CommonJS module: under ESM and in the CommonJS bundle alike, its exports hang off `default`.
const sqlite = ((sqliteNs as unknown as { default?: typeof sqliteNs }).default ?? sqliteNs) as typeof sqliteNs;

export type JobState = "queued" | "running" | "done" | "failed" | "cancelled";
export type JobKind = "pull_request" | "push" | "rerequested" | "rebuild";

export interface JobSummary {
  mergeSafe: boolean;
  counts: Record<string, number>;
  /** Changed and added atoms: what a merge rebuilds. */
  rebuilds: number;
  newlyFailing: number;
  linesChanged: number;
}

export interface Job {
  id: number;
  kind: JobKind;
  /** The pull request, or null for a push. */
  pr: number | null;
  owner: string;
  repo: string;
  installation: number | null;
  baseSha: string;
  headSha: string;
  /** Atoms `@eka review rebuild ATOM` named: the job builds only these. */
  only: string[];
  state: JobState;
  created: number;
  started: number | null;
  finished: number | null;
  error: string | null;
  summary: JobSummary | null;
}

export interface PullRequest {
  number: number;
  title: string;
  state: "open" | "closed";
  baseRef: string;
  baseSha: string;
  headSha: string;
  owner: string;
  repo: string;
  installation: number | null;
  updated: number;
}

export type NewJob = Pick<Job, "kind" | "pr" | "owner" | "repo" | "installation" | "baseSha" | "headSha" | "only">;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS deliveries (id TEXT PRIMARY KEY, event TEXT NOT NULL, received INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS prs (number INTEGER PRIMARY KEY, title TEXT NOT NULL, state TEXT NOT NULL, base_ref TEXT NOT NULL,
  base_sha TEXT NOT NULL, head_sha TEXT NOT NULL, owner TEXT NOT NULL, repo TEXT NOT NULL, installation INTEGER, updated INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, pr INTEGER, owner TEXT NOT NULL, repo TEXT NOT NULL,
  installation INTEGER, base_sha TEXT NOT NULL, head_sha TEXT NOT NULL, only TEXT NOT NULL, state TEXT NOT NULL, created INTEGER NOT NULL,
  started INTEGER, finished INTEGER, error TEXT, summary TEXT);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state, id);
CREATE TABLE IF NOT EXISTS check_runs (head_sha TEXT NOT NULL, name TEXT NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (head_sha, name));
`;

type Row = Record<string, unknown>;

export class CiQueue {
  private readonly db: sqliteNs.Database;

  constructor(file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.db = new sqlite.Database(file);
    this.db.exec(SCHEMA);
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  /** True the first time a delivery id is seen; false for a repeat (GitHub's redelivery). */
  recordDelivery(id: string, event: string, now = Date.now()): boolean {
    return this.db.run("INSERT OR IGNORE INTO deliveries (id, event, received) VALUES (?, ?, ?)", [id, event, now]).changes === 1;
  }

  upsertPr(p: PullRequest): void {
    this.db.run(
      `INSERT INTO prs (number, title, state, base_ref, base_sha, head_sha, owner, repo, installation, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (number) DO UPDATE SET title = excluded.title, state = excluded.state, base_ref = excluded.base_ref, base_sha = excluded.base_sha,
       head_sha = excluded.head_sha, owner = excluded.owner, repo = excluded.repo, installation = excluded.installation, updated = excluded.updated`,
      [p.number, p.title, p.state, p.baseRef, p.baseSha, p.headSha, p.owner, p.repo, p.installation, p.updated],
    );
  }

  pr(number: number): PullRequest | null {
    const r = this.db.get("SELECT * FROM prs WHERE number = ?", [number]);
    return r ? prOf(r) : null;
  }

  prs(state?: "open" | "closed"): PullRequest[] {
    return (state ? this.db.all("SELECT * FROM prs WHERE state = ? ORDER BY number", [state]) : this.db.all("SELECT * FROM prs ORDER BY number")).map(prOf);
  }

  /** The open pull request whose head is `sha`, if any. */
  prOfHead(sha: string): PullRequest | null {
    const r = this.db.get("SELECT * FROM prs WHERE head_sha = ? ORDER BY state = 'open' DESC, updated DESC LIMIT 1", [sha]);
    return r ? prOf(r) : null;
  }

  /**
   * Queues a job. For a pull request, its queued or running jobs for another head commit are
   * cancelled in the same transaction (a new head makes them moot); their ids are returned.
   */
  enqueue(j: NewJob, now = Date.now()): { id: number; cancelled: number[] } {
    return this.transaction(() => {
      const cancelled = j.pr === null ? [] : this.cancelWhere("pr = ? AND head_sha != ?", [j.pr, j.headSha], now);
      const r = this.db.run(
        "INSERT INTO jobs (kind, pr, owner, repo, installation, base_sha, head_sha, only, state, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?)",
        [j.kind, j.pr, j.owner, j.repo, j.installation, j.baseSha, j.headSha, JSON.stringify(j.only), now],
      );
      return { id: Number(r.lastInsertRowid), cancelled };
    });
  }

  /** Cancels the queued and running jobs of a pull request (it was closed); their ids. */
  cancelPr(pr: number, now = Date.now()): number[] {
    return this.transaction(() => this.cancelWhere("pr = ?", [pr], now));
  }

  /** The oldest queued job, now marked running; null when none waits. */
  claim(now = Date.now()): Job | null {
    return this.transaction(() => {
      const r = this.db.get("SELECT * FROM jobs WHERE state = 'queued' ORDER BY id LIMIT 1");
      if (!r) return null;
      this.db.run("UPDATE jobs SET state = 'running', started = ? WHERE id = ?", [now, r.id as number]);
      return jobOf({ ...r, state: "running", started: now });
    });
  }

  /** Ends a running job; false when it was no longer running (it was cancelled meanwhile). */
  finish(id: number, state: "done" | "failed", o: { summary?: JobSummary; error?: string } = {}, now = Date.now()): boolean {
    return this.db.run("UPDATE jobs SET state = ?, finished = ?, summary = ?, error = ? WHERE id = ? AND state = 'running'", [state, now, o.summary ? JSON.stringify(o.summary) : null, o.error ?? null, id]).changes === 1;
  }

  /** After a restart: jobs a dead process was running go back to the queue, in their order. */
  requeueRunning(): number {
    return this.db.run("UPDATE jobs SET state = 'queued', started = NULL WHERE state = 'running'").changes;
  }

  job(id: number): Job | null {
    const r = this.db.get("SELECT * FROM jobs WHERE id = ?", [id]);
    return r ? jobOf(r) : null;
  }

  jobs(o: { pr?: number; state?: JobState } = {}): Job[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (o.pr !== undefined) where.push("pr = ?") && args.push(o.pr);
    if (o.state !== undefined) where.push("state = ?") && args.push(o.state);
    return this.db.all(`SELECT * FROM jobs ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY id`, args).map(jobOf);
  }

  /** A pull request's newest job that was not cancelled. */
  latestJob(pr: number): Job | null {
    const r = this.db.get("SELECT * FROM jobs WHERE pr = ? AND state != 'cancelled' ORDER BY id DESC LIMIT 1", [pr]);
    return r ? jobOf(r) : null;
  }

  /** The newest finished job of the pull request (its review is what the portal shows). */
  latestFinished(pr: number): Job | null {
    const r = this.db.get("SELECT * FROM jobs WHERE pr = ? AND state = 'done' ORDER BY id DESC LIMIT 1", [pr]);
    return r ? jobOf(r) : null;
  }

  /** The newest job of a head commit, whatever its state (a re-requested check run reruns it). */
  lastJobOfHead(headSha: string): Job | null {
    const r = this.db.get("SELECT * FROM jobs WHERE head_sha = ? ORDER BY id DESC LIMIT 1", [headSha]);
    return r ? jobOf(r) : null;
  }

  checkRunId(headSha: string, name: string): number | null {
    const r = this.db.get("SELECT id FROM check_runs WHERE head_sha = ? AND name = ?", [headSha, name]);
    return r ? Number(r.id) : null;
  }

  checkRuns(headSha: string): { name: string; id: number }[] {
    return this.db.all("SELECT name, id FROM check_runs WHERE head_sha = ? ORDER BY name", [headSha]).map((r: Row) => ({ name: String(r.name), id: Number(r.id) }));
  }

  setCheckRunId(headSha: string, name: string, id: number): void {
    this.db.run("INSERT INTO check_runs (head_sha, name, id) VALUES (?, ?, ?) ON CONFLICT (head_sha, name) DO UPDATE SET id = excluded.id", [headSha, name, id]);
  }

  private cancelWhere(where: string, args: (string | number)[], now: number): number[] {
    const ids = this.db.all(`SELECT id FROM jobs WHERE (state = 'queued' OR state = 'running') AND ${where}`, args).map((r: Row) => Number(r.id));
    if (ids.length) this.db.run(`UPDATE jobs SET state = 'cancelled', finished = ? WHERE id IN (${ids.map(() => "?").join(",")})`, [now, ...ids]);
    return ids;
  }

  private transaction<T>(f: () => T): T {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const v = f();
      this.db.exec("COMMIT");
      return v;
    } catch (e) {
      this.db.exec("ROLLBACK");
      throw e;
    }
  }
}

function prOf(r: Row): PullRequest {
  return {
    number: Number(r.number),
    title: String(r.title),
    state: r.state === "closed" ? "closed" : "open",
    baseRef: String(r.base_ref),
    baseSha: String(r.base_sha),
    headSha: String(r.head_sha),
    owner: String(r.owner),
    repo: String(r.repo),
    installation: r.installation === null ? null : Number(r.installation),
    updated: Number(r.updated),
  };
}

function jobOf(r: Row): Job {
  return {
    id: Number(r.id),
    kind: String(r.kind) as JobKind,
    pr: r.pr === null ? null : Number(r.pr),
    owner: String(r.owner),
    repo: String(r.repo),
    installation: r.installation === null ? null : Number(r.installation),
    baseSha: String(r.base_sha),
    headSha: String(r.head_sha),
    only: JSON.parse(String(r.only)) as string[],
    state: String(r.state) as JobState,
    created: Number(r.created),
    started: r.started === null || r.started === undefined ? null : Number(r.started),
    finished: r.finished === null || r.finished === undefined ? null : Number(r.finished),
    error: r.error === null || r.error === undefined ? null : String(r.error),
    summary: r.summary === null || r.summary === undefined ? null : (JSON.parse(String(r.summary)) as JobSummary),
  };
}
