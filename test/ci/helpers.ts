// The CI server's tests: webhook payloads in GitHub's documented shapes (signed here with the
// test's secret), a stand-in for GitHub's REST API on 127.0.0.1 that records every request and
// checks the app's JWT with its public key, and a config file writer.
import { createPublicKey, generateKeyPairSync, verify } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { signature } from "../../src/ci/webhook.node.ts";

export const SECRET = "It's a Secret to Everybody";
export const OWNER = "octo";
export const REPO = "atoms";
export const INSTALLATION = 4242;
export const APP_ID = "1234";

let deliveries = 0;

export interface Delivery {
  status: number;
  body: Record<string, unknown>;
}

/** POSTs a webhook as GitHub does: X-GitHub-Event, X-GitHub-Delivery, X-Hub-Signature-256 of the raw body. */
export async function deliver(url: string, event: string, payload: unknown, o: { secret?: string | null; delivery?: string; signature?: string; raw?: Buffer } = {}): Promise<Delivery & { delivery: string }> {
  const raw = o.raw ?? Buffer.from(JSON.stringify(payload));
  const delivery = o.delivery ?? `d-${process.pid}-${++deliveries}-${Date.now()}`;
  const headers: Record<string, string> = { "content-type": "application/json", "x-github-event": event, "x-github-delivery": delivery, "user-agent": "GitHub-Hookshot/test" };
  const secret = o.secret === undefined ? SECRET : o.secret;
  if (o.signature !== undefined) headers["x-hub-signature-256"] = o.signature;
  else if (secret !== null) headers["x-hub-signature-256"] = signature(secret, raw);
  const res = await fetch(`${url}/webhook`, { method: "POST", headers, body: new Uint8Array(raw) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, delivery };
}

const repository = { id: 1, name: REPO, full_name: `${OWNER}/${REPO}`, owner: { login: OWNER, id: 2 }, default_branch: "main" };
const installation = { id: INSTALLATION };

/** A `pull_request` event (opened, synchronize, reopened, closed). */
export function prEvent(action: string, number: number, base: string, head: string, title = `PR ${number}`) {
  return {
    action,
    number,
    pull_request: { number, title, state: action === "closed" ? "closed" : "open", head: { ref: `pr-${number}`, sha: head }, base: { ref: "main", sha: base }, additions: 0, deletions: 0 },
    repository,
    installation,
    sender: { login: "someone" },
  };
}

export function pushEvent(before: string, after: string) {
  return { ref: "refs/heads/main", before, after, created: false, deleted: false, forced: false, repository, installation, pusher: { name: "someone" } };
}

export function checkRunRerequested(headSha: string, pr: number | null) {
  return { action: "rerequested", check_run: { id: 9, name: "eka/review", head_sha: headSha, pull_requests: pr === null ? [] : [{ number: pr, head: { sha: headSha }, base: { ref: "main" } }] }, repository, installation };
}

export function commentEvent(pr: number, body: string) {
  return { action: "created", issue: { number: pr, title: `PR ${pr}`, pull_request: { url: `https://api.example/pulls/${pr}` } }, comment: { id: 77, body }, repository, installation };
}

export interface Recorded {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: any;
}

/** GitHub's REST API as far as eka uses it: token exchange and check runs, every request recorded. */
export interface FakeGitHub {
  url: string;
  requests: Recorded[];
  privateKeyPem: string;
  /** Answers the next matching requests with this status and headers before serving them. */
  limit(o: { path: RegExp; status: number; headers: Record<string, string>; times: number }): void;
  /** The check runs as GitHub would hold them after every create and update (annotations added up). */
  runs(): Map<number, { name: string; head_sha: string; status?: string; conclusion?: string; output?: any; annotations: any[] }>;
  /** How long the tokens it hands out live (ms). */
  tokenTtlMs: number;
  /** JWTs that failed verification (must stay empty). */
  badJwts: string[];
  close(): Promise<void>;
}

export async function fakeGitHub(): Promise<FakeGitHub> {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const pub = createPublicKey(publicKey.export({ type: "spki", format: "pem" }));
  const requests: Recorded[] = [];
  const badJwts: string[] = [];
  const limits: { path: RegExp; status: number; headers: Record<string, string>; times: number }[] = [];
  const runs = new Map<number, { name: string; head_sha: string; status?: string; conclusion?: string; output?: any; annotations: any[] }>();
  const tokens = new Set<string>();
  let nextRun = 100;
  let nextToken = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString();
      const path = req.url ?? "/";
      const rec: Recorded = { method: req.method ?? "", path, headers: req.headers, body: text ? JSON.parse(text) : null };
      requests.push(rec);
      const send = (status: number, v: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { "content-type": "application/json", ...headers });
        res.end(JSON.stringify(v));
      };
      const lim = limits.find((l) => l.times > 0 && l.path.test(path));
      if (lim) {
        lim.times--;
        return send(lim.status, { message: "API rate limit exceeded" }, lim.headers);
      }
      const tok = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path);
      if (tok && req.method === "POST") {
        const auth = String(req.headers.authorization ?? "");
        const jwt = auth.replace(/^Bearer /, "");
        const [h, p, s] = jwt.split(".");
        const ok = h && p && s && verify("sha256", Buffer.from(`${h}.${p}`), pub, Buffer.from(s, "base64url"));
        const claims = ok ? JSON.parse(Buffer.from(p as string, "base64url").toString()) : null;
        const header = ok ? JSON.parse(Buffer.from(h as string, "base64url").toString()) : null;
        const now = Math.floor(Date.now() / 1000);
        if (!ok || header.alg !== "RS256" || claims.iss !== APP_ID || !(claims.iat <= now) || !(claims.exp > now) || claims.exp - claims.iat > 600) {
          badJwts.push(jwt);
          return send(401, { message: "A JSON web token could not be decoded" });
        }
        const token = `ghs_test${++nextToken}`;
        tokens.add(token);
        return send(201, { token, expires_at: new Date(Date.now() + fake.tokenTtlMs).toISOString(), permissions: { checks: "write" } });
      }
      if (!tokens.has(String(req.headers.authorization ?? "").replace(/^token /, ""))) return send(401, { message: "Bad credentials" });
      const create = new RegExp(`^/repos/${OWNER}/${REPO}/check-runs$`).exec(path);
      if (create && req.method === "POST") {
        const id = nextRun++;
        const b = rec.body;
        runs.set(id, { name: b.name, head_sha: b.head_sha, status: b.status, conclusion: b.conclusion, output: b.output, annotations: [...(b.output?.annotations ?? [])] });
        return send(201, { id, name: b.name, head_sha: b.head_sha });
      }
      const upd = new RegExp(`^/repos/${OWNER}/${REPO}/check-runs/(\\d+)$`).exec(path);
      if (upd && req.method === "PATCH") {
        const run = runs.get(Number(upd[1]));
        if (!run) return send(404, { message: "Not Found" });
        const b = rec.body;
        if (b.status) run.status = b.status;
        if (b.conclusion) run.conclusion = b.conclusion;
        if (b.output) {
          run.output = { ...run.output, ...b.output };
          run.annotations.push(...(b.output.annotations ?? []));
        }
        return send(200, { id: Number(upd[1]), name: run.name });
      }
      send(404, { message: "Not Found" });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const fake: FakeGitHub = {
    url,
    requests,
    privateKeyPem,
    tokenTtlMs: 3600_000,
    badJwts,
    limit: (l) => limits.push(l),
    runs: () => runs,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  return fake;
}

/** A config file's text. */
export function configToml(o: { repo: string; state: string; store?: string; workers?: number; github?: { url: string; keyFile: string }; cache?: string; maxBody?: number; extra?: string }): string {
  return [
    `repo = ${JSON.stringify(o.repo)}`,
    `secret = ${JSON.stringify(SECRET)}`,
    `state = ${JSON.stringify(o.state)}`,
    o.store ? `store = ${JSON.stringify(o.store)}` : "",
    `workers = ${o.workers ?? 1}`,
    o.maxBody ? `max-body = ${o.maxBody}` : "",
    o.extra ?? "",
    o.github ? `[github]\napi-url = ${JSON.stringify(o.github.url)}\napp-id = ${APP_ID}\nprivate-key-file = ${JSON.stringify(o.github.keyFile)}` : "",
    o.cache ? `[cache]\nto = ${JSON.stringify(o.cache)}` : "",
    "",
  ].join("\n");
}
