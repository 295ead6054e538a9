// Node-only: GitHub webhooks — the X-Hub-Signature-256 check and what each event means for the
// queue. A delivery is trusted only after its signature checks out (HMAC-SHA256 of the raw body
// with the webhook secret, compared in constant time); only then is its id recorded, so a forged
// repeat cannot shadow a real delivery.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { NewJob, PullRequest } from "./queue.node.ts";

/** True when `header` is `sha256=<hex>` of HMAC-SHA256(secret, body). */
export function verifySignature(secret: string, body: Uint8Array, header: string | undefined): boolean {
  if (!header || !header.startsWith("sha256=")) return false;
  const given = Buffer.from(header.slice("sha256=".length), "hex");
  const want = createHmac("sha256", secret).update(body).digest();
  // A wrong length is not secret: only equal-length digests are compared, in constant time.
  return given.length === want.length && timingSafeEqual(given, want);
}

/** The header value GitHub would send for `body` (tests and tools sign with it). */
export function signature(secret: string, body: Uint8Array | string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** What a delivery asks of the server. */
export type WebhookAction =
  | { kind: "ignore"; why: string }
  | { kind: "pr"; pr: PullRequest; job: NewJob | null }
  | { kind: "job"; job: NewJob }
  | { kind: "rebuild"; pr: number; atoms: string[]; installation: number | null; owner: string; repo: string };

const PR_ACTIONS = new Set(["opened", "synchronize", "reopened"]);
const ZERO = /^0+$/;

/** Reads a GitHub event payload (already verified) into an action. */
export function actionOf(event: string, payload: unknown, now = Date.now()): WebhookAction {
  const p = payload as Record<string, any>;
  const owner = String(p?.repository?.owner?.login ?? "");
  const repo = String(p?.repository?.name ?? "");
  const installation = typeof p?.installation?.id === "number" ? (p.installation.id as number) : null;
  switch (event) {
    case "ping":
      return { kind: "ignore", why: "ping" };
    case "pull_request": {
      const pr = p.pull_request;
      if (!pr || typeof pr.number !== "number") return { kind: "ignore", why: "pull_request without pull_request.number" };
      const closed = p.action === "closed";
      const open = PR_ACTIONS.has(p.action);
      if (!closed && !open) return { kind: "ignore", why: `pull_request.${p.action}` };
      const rec: PullRequest = {
        number: pr.number,
        title: String(pr.title ?? ""),
        state: closed ? "closed" : "open",
        baseRef: String(pr.base?.ref ?? ""),
        baseSha: String(pr.base?.sha ?? ""),
        headSha: String(pr.head?.sha ?? ""),
        owner,
        repo,
        installation,
        updated: now,
      };
      if (!isSha(rec.baseSha) || !isSha(rec.headSha)) return { kind: "ignore", why: "pull_request without base and head commits" };
      return { kind: "pr", pr: rec, job: closed ? null : { kind: "pull_request", pr: pr.number, owner, repo, installation, baseSha: rec.baseSha, headSha: rec.headSha, only: [] } };
    }
    case "push": {
      const before = String(p.before ?? "");
      const after = String(p.after ?? "");
      if (p.deleted === true || ZERO.test(after)) return { kind: "ignore", why: "push deleting a ref" };
      if (!isSha(after) || !isSha(before) || ZERO.test(before)) return { kind: "ignore", why: "push without a previous commit to compare with" };
      return { kind: "job", job: { kind: "push", pr: null, owner, repo, installation, baseSha: before, headSha: after, only: [] } };
    }
    case "check_run": {
      if (p.action !== "rerequested") return { kind: "ignore", why: `check_run.${p.action}` };
      const sha = String(p.check_run?.head_sha ?? "");
      if (!isSha(sha)) return { kind: "ignore", why: "check_run without head_sha" };
      const prNumber = typeof p.check_run?.pull_requests?.[0]?.number === "number" ? (p.check_run.pull_requests[0].number as number) : null;
      // The base is found by the server (the pull request's, or the job that ran on this commit).
      return { kind: "job", job: { kind: "rerequested", pr: prNumber, owner, repo, installation, baseSha: "", headSha: sha, only: [] } };
    }
    case "issue_comment": {
      if (p.action !== "created" || !p.issue?.pull_request || typeof p.issue.number !== "number") return { kind: "ignore", why: "issue_comment not created on a pull request" };
      const atoms = rebuildRequests(String(p.comment?.body ?? ""));
      if (atoms.length === 0) return { kind: "ignore", why: "comment without '@eka review rebuild ATOM'" };
      return { kind: "rebuild", pr: p.issue.number, atoms, installation, owner, repo };
    }
    default:
      return { kind: "ignore", why: `event ${event}` };
  }
}

/** The atoms named by lines `@eka review rebuild ATOM [ATOM…]` of a comment. */
export function rebuildRequests(body: string): string[] {
  const out: string[] = [];
  for (const line of body.split(/\r?\n/)) {
    const m = /^\s*@eka\s+review\s+rebuild\s+(.+?)\s*$/.exec(line);
    if (!m) continue;
    for (const a of (m[1] as string).split(/[\s,]+/)) if (/^[A-Za-z0-9][A-Za-z0-9._+*?/-]*$/.test(a) && !out.includes(a)) out.push(a);
  }
  return out;
}

function isSha(s: string): boolean {
  return /^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(s);
}
