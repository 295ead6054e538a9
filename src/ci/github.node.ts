// Node-only: a GitHub App's side of the REST API, against a configurable base URL. A JWT (RS256,
// signed with the app's private key by node:crypto) is exchanged for an installation token, kept
// until shortly before it expires; a 403/429 that says when to come back (Retry-After, or
// x-ratelimit-reset with x-ratelimit-remaining: 0) is waited for and retried.
import { createPrivateKey, sign, type KeyObject } from "node:crypto";
import { EkaError } from "../errors.ts";

export interface GitHubAppOptions {
  apiUrl: string;
  appId: string;
  privateKey: string;
  /** The clock, in ms (tests move it). */
  now?: () => number;
  /** Waits out a rate limit. */
  sleep?: (ms: number) => Promise<void>;
  /** A rate limit asking for longer than this fails the request instead. Default 15 minutes. */
  maxWaitMs?: number;
  /** Tries per request when rate limited. Default 4. */
  tries?: number;
  /** Told of each wait (the server logs it). */
  onWait?: (e: { method: string; url: string; status: number; ms: number }) => void;
}

const USER_AGENT = "eka-ci";

export class GitHubApp {
  private readonly key: KeyObject;
  private readonly tokens = new Map<number, { token: string; expires: number }>();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Token exchanges made (tests check the cache). */
  exchanges = 0;

  constructor(readonly o: GitHubAppOptions) {
    try {
      this.key = createPrivateKey(o.privateKey);
    } catch (e) {
      throw new EkaError("E_CI_CONFIG", `the GitHub App's private key does not load (${(e as Error).message}); give the .pem file GitHub generated`);
    }
    this.now = o.now ?? Date.now;
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** The app's JWT: issued a minute back (clock drift), valid for 9 minutes (GitHub allows 10). */
  jwt(): string {
    const t = Math.floor(this.now() / 1000);
    const part = (v: object) => Buffer.from(JSON.stringify(v)).toString("base64url");
    const data = `${part({ alg: "RS256", typ: "JWT" })}.${part({ iat: t - 60, exp: t + 540, iss: this.o.appId })}`;
    return `${data}.${sign("sha256", Buffer.from(data), this.key).toString("base64url")}`;
  }

  /** An installation access token, exchanged once and reused until a minute before it expires. */
  async installationToken(installation: number): Promise<string> {
    const have = this.tokens.get(installation);
    if (have && have.expires - 60_000 > this.now()) return have.token;
    const r = (await this.send("POST", `/app/installations/${installation}/access_tokens`, undefined, `Bearer ${this.jwt()}`)) as { token?: string; expires_at?: string };
    if (typeof r.token !== "string") throw new EkaError("E_GITHUB_API", `POST ${this.o.apiUrl}/app/installations/${installation}/access_tokens: the answer has no token`);
    this.exchanges++;
    const expires = r.expires_at ? Date.parse(r.expires_at) : this.now() + 3_600_000;
    this.tokens.set(installation, { token: r.token, expires: Number.isFinite(expires) ? expires : this.now() + 3_600_000 });
    return r.token;
  }

  /** A request as the installation; the parsed JSON answer. */
  async request(installation: number, method: string, path: string, body?: unknown): Promise<unknown> {
    return this.send(method, path, body, `token ${await this.installationToken(installation)}`);
  }

  private async send(method: string, path: string, body: unknown, auth: string): Promise<unknown> {
    const url = this.o.apiUrl + path;
    const tries = this.o.tries ?? 4;
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers: { accept: "application/vnd.github+json", authorization: auth, "user-agent": USER_AGENT, "x-github-api-version": "2022-11-28", ...(body === undefined ? {} : { "content-type": "application/json" }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      } catch (e) {
        throw new EkaError("E_GITHUB_API", `${method} ${url}: ${(e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message}; check github.api-url`);
      }
      const text = await res.text();
      if (res.ok) return text ? (JSON.parse(text) as unknown) : null;
      const wait = (res.status === 403 || res.status === 429) && attempt < tries ? waitOf(res.headers, this.now()) : null;
      if (wait !== null && wait <= (this.o.maxWaitMs ?? 15 * 60_000)) {
        this.o.onWait?.({ method, url, status: res.status, ms: wait });
        await this.sleep(wait);
        continue;
      }
      let message = text.slice(0, 500);
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? message;
      } catch {
        // not JSON: keep the text
      }
      throw new EkaError("E_GITHUB_API", `${method} ${url}: ${res.status} ${res.statusText}: ${message}`);
    }
  }
}

/** How long a rate-limited answer asks to wait, in ms; null when it does not say. */
export function waitOf(h: Headers, now: number): number | null {
  const after = h.get("retry-after");
  if (after !== null && /^\d+$/.test(after.trim())) return Number(after) * 1000;
  if (h.get("x-ratelimit-remaining") === "0") {
    const reset = Number(h.get("x-ratelimit-reset"));
    if (Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - now) + 1000;
  }
  return null;
}

/** GitHub's limits on a check run's output. */
export const OUTPUT_LIMIT = 65_535;
export const ANNOTATIONS_PER_REQUEST = 50;

export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: "notice" | "warning" | "failure";
  message: string;
  title?: string;
}

export interface CheckOutput {
  title: string;
  summary: string;
  text?: string;
  annotations?: Annotation[];
}

export interface CheckRunUpdate {
  status?: "queued" | "in_progress" | "completed";
  conclusion?: "success" | "failure" | "neutral" | "cancelled" | "skipped" | "action_required";
  started_at?: string;
  completed_at?: string;
  details_url?: string;
  external_id?: string;
  output?: CheckOutput;
}

/** Check runs of one repository as one installation. */
export class CheckRuns {
  constructor(
    private readonly app: GitHubApp,
    private readonly installation: number,
    readonly owner: string,
    readonly repo: string,
  ) {}

  /**
   * Creates the run (id null) or updates it in place; annotations beyond 50 go in further
   * updates of the same run, 50 at a time (GitHub adds them up). Returns the run's id.
   */
  async put(id: number | null, name: string, headSha: string, u: CheckRunUpdate): Promise<number> {
    const base = `/repos/${encodeURIComponent(this.owner)}/${encodeURIComponent(this.repo)}/check-runs`;
    const output = u.output ? trimOutput(u.output) : undefined;
    const all = output?.annotations ?? [];
    const first = { ...u, ...(output ? { output: { ...output, annotations: all.slice(0, ANNOTATIONS_PER_REQUEST) } } : {}) };
    if (output && all.length === 0) delete (first.output as CheckOutput).annotations;
    const r = (id === null ? await this.app.request(this.installation, "POST", base, { name, head_sha: headSha, ...first }) : await this.app.request(this.installation, "PATCH", `${base}/${id}`, first)) as { id?: number };
    const runId = id ?? r.id;
    if (typeof runId !== "number") throw new EkaError("E_GITHUB_API", `POST ${base}: the answer has no check run id`);
    for (let i = ANNOTATIONS_PER_REQUEST; i < all.length; i += ANNOTATIONS_PER_REQUEST) {
      await this.app.request(this.installation, "PATCH", `${base}/${runId}`, { output: { title: output?.title, summary: output?.summary, annotations: all.slice(i, i + ANNOTATIONS_PER_REQUEST) } });
    }
    return runId;
  }
}

/** Summary and text cut to GitHub's 65,535 characters, at a line, saying so. */
export function trimOutput(o: CheckOutput): CheckOutput {
  return { ...o, title: o.title.slice(0, 255), summary: trimText(o.summary), ...(o.text !== undefined ? { text: trimText(o.text) } : {}) };
}

function trimText(s: string): string {
  if (s.length <= OUTPUT_LIMIT) return s;
  const note = "\n\n… (cut to GitHub's 65,535 characters; the portal and review.json have all of it)\n";
  const cut = s.slice(0, OUTPUT_LIMIT - note.length);
  const nl = cut.lastIndexOf("\n");
  return (nl > OUTPUT_LIMIT / 2 ? cut.slice(0, nl) : cut) + note;
}
