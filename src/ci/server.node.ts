// Node-only: `eka ci serve` — one HTTP server for GitHub's webhooks and the portal, and the
// workers that run the queue's jobs. The queue lives in SQLite (queue.node.ts): a job queued or
// running when the process died is run again after a restart; a new head commit of a pull
// request cancels its older job, a running one included (its build is aborted).
import { createReadStream, existsSync, readdirSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join, normalize } from "node:path";
import { buildStateFor } from "../builder/index.node.ts";
import { isEkaError } from "../errors.ts";
import { openStore } from "../store/open.node.ts";
import { JobChecks } from "./checks.node.ts";
import type { CiConfig } from "./config.node.ts";
import { CheckRuns, GitHubApp } from "./github.node.ts";
import { jobDir, runJob, type LiveJob } from "./job.node.ts";
import { jobHtml, PORTAL_CSP, PORTAL_CSS, PORTAL_JS, renderIndex, renderPr, REVIEW_CSP } from "./portal.node.ts";
import { CiQueue, type Job, type NewJob } from "./queue.node.ts";
import { actionOf, verifySignature } from "./webhook.node.ts";

export interface CiServerOptions {
  port?: number;
  host?: string;
  /** One line per event: a message and its fields (the CLI prints them as text or JSON). */
  log?: (event: string, fields: Record<string, unknown>) => void;
  /** For tests: the GitHub client's rate-limit sleep. */
  githubSleep?: (ms: number) => Promise<void>;
}

export interface CiServer {
  url: string;
  port: number;
  queue: CiQueue;
  /** Waits for the queue to have no queued or running job (tests). */
  idle(): Promise<void>;
  /** Stops listening and the workers; running jobs stay "running" in the queue and run again on the next start. */
  close(): Promise<void>;
}

export async function startCiServer(config: CiConfig, o: CiServerOptions = {}): Promise<CiServer> {
  const log = o.log ?? (() => undefined);
  const queue = new CiQueue(join(config.state, "ci.sqlite"));
  const requeued = queue.requeueRunning();
  if (requeued) log("requeued", { jobs: requeued });
  const store = await openStore(config.store ?? undefined);
  const github = config.github
    ? new GitHubApp({ ...config.github, ...(o.githubSleep ? { sleep: o.githubSleep } : {}), onWait: (e) => log("github-wait", e) })
    : null;
  const running = new Map<number, { ac: AbortController; live: LiveJob }>();
  let version = 0;
  const streams = new Set<ServerResponse>();
  let pending: NodeJS.Timeout | null = null;
  const changed = () => {
    version++;
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      for (const s of streams) s.write(`event: change\ndata: ${version}\n\n`);
    }, 200);
  };
  let closing = false;
  // Idle workers wait here; a queued job (or closing) wakes them all, and each claims or waits again.
  const waiting = new Set<() => void>();
  const poke = () => {
    for (const w of [...waiting]) w();
    waiting.clear();
  };
  let fetchChain: Promise<unknown> = Promise.resolve();
  const fetchLock = <T>(f: () => Promise<T>): Promise<T> => {
    const next = fetchChain.then(f, f);
    fetchChain = next.catch(() => undefined);
    return next;
  };

  const cancel = (ids: number[], why: string) => {
    for (const id of ids) {
      log("cancelled", { job: id, why });
      running.get(id)?.ac.abort(new Error(why));
    }
    if (ids.length) changed();
  };

  async function execute(job: Job): Promise<void> {
    const ac = new AbortController();
    const live: LiveJob = { id: job.id, phase: "fetching", changes: null, toBuild: 0, builds: [], version: 0 };
    running.set(job.id, { ac, live });
    log("started", { job: job.id, kind: job.kind, pr: job.pr, head: job.headSha });
    changed();
    const installation = job.installation ?? config.github?.installationId ?? null;
    const checks = github && installation !== null && job.owner && job.repo ? new JobChecks(new CheckRuns(github, installation, job.owner, job.repo), queue, job, config.url ? `${config.url}${job.pr !== null ? `/pr/${job.pr}` : `/jobs/${job.id}/`}` : undefined) : null;
    try {
      const summary = await runJob(job, { config, store, checks, signal: ac.signal, live, changed, fetchLock });
      if (queue.finish(job.id, "done", { summary })) log("done", { job: job.id, mergeSafe: summary.mergeSafe, rebuilds: summary.rebuilds, newlyFailing: summary.newlyFailing });
      live.phase = "done";
    } catch (e) {
      if (closing) return; // left "running": the next start runs it again
      if (ac.signal.aborted) {
        live.phase = "cancelled";
        await checks?.ended("cancelled", `Cancelled: ${String((ac.signal.reason as Error)?.message ?? "a newer job")}.`).catch((x: unknown) => log("github-error", { job: job.id, error: String(x) }));
        return;
      }
      const msg = isEkaError(e) ? `${e.code}: ${e.message}` : e instanceof Error ? (e.stack ?? e.message) : String(e);
      live.phase = "failed";
      queue.finish(job.id, "failed", { error: msg });
      log("failed", { job: job.id, error: msg });
      await checks?.ended("failure", msg).catch((x: unknown) => log("github-error", { job: job.id, error: String(x) }));
    } finally {
      running.delete(job.id);
      changed();
    }
  }

  const workers: Promise<void>[] = [];
  for (let i = 0; i < config.workers; i++) {
    workers.push(
      (async () => {
        while (!closing) {
          const job = queue.claim();
          if (job) await execute(job);
          else
            await new Promise<void>((r) => {
              const t = setTimeout(done, 2000);
              function done() {
                clearTimeout(t);
                waiting.delete(done);
                r();
              }
              waiting.add(done);
            });
        }
      })(),
    );
  }

  function webhook(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    if (!verifySignature(config.secret, body, header(req, "x-hub-signature-256"))) {
      return json(res, 401, { error: header(req, "x-hub-signature-256") ? "X-Hub-Signature-256 does not match the body and the webhook secret" : "missing X-Hub-Signature-256" });
    }
    const event = header(req, "x-github-event");
    const delivery = header(req, "x-github-delivery");
    if (!event || !delivery) return json(res, 400, { error: "missing X-GitHub-Event or X-GitHub-Delivery" });
    let payload: unknown;
    try {
      payload = JSON.parse(body.toString("utf8"));
    } catch {
      return json(res, 400, { error: "the body is not JSON (set the webhook's content type to application/json)" });
    }
    if (!queue.recordDelivery(delivery, event)) {
      log("duplicate", { delivery, event });
      return json(res, 200, { duplicate: true });
    }
    const a = actionOf(event, payload);
    let job: NewJob | null = null;
    if (a.kind === "ignore") {
      log("ignored", { delivery, event, why: a.why });
      return json(res, 200, { ignored: a.why });
    }
    if (a.kind === "pr") {
      queue.upsertPr(a.pr);
      if (!a.job) {
        cancel(queue.cancelPr(a.pr.number), `#${a.pr.number} was closed`);
        return json(res, 200, { closed: a.pr.number });
      }
      job = a.job;
    } else if (a.kind === "job") {
      job = a.job;
      if (job.kind === "rerequested") {
        const pr = (job.pr !== null ? queue.pr(job.pr) : null) ?? queue.prOfHead(job.headSha);
        const before = queue.lastJobOfHead(job.headSha);
        const base = pr && pr.headSha === job.headSha ? pr.baseSha : (before?.baseSha ?? "");
        if (!base) return json(res, 200, { ignored: `no pull request or earlier job has commit ${job.headSha}` });
        job = { ...job, pr: pr && pr.headSha === job.headSha ? pr.number : (before?.pr ?? null), baseSha: base, only: [] };
      }
    } else {
      const pr = queue.pr(a.pr);
      if (!pr || pr.state !== "open") return json(res, 200, { ignored: `#${a.pr} is not an open pull request this server has seen` });
      job = { kind: "rebuild", pr: pr.number, owner: pr.owner, repo: pr.repo, installation: a.installation ?? pr.installation, baseSha: pr.baseSha, headSha: pr.headSha, only: a.atoms };
    }
    const { id, cancelled } = queue.enqueue(job);
    log("queued", { job: id, kind: job.kind, pr: job.pr, head: job.headSha, delivery });
    cancel(cancelled, `a newer head of #${job.pr}`);
    changed();
    poke();
    json(res, 202, { job: id, cancelled });
  }

  function prListing() {
    return queue.prs("open").map((pr) => ({ pr, latest: queue.latestJob(pr.number), finished: queue.latestFinished(pr.number) }));
  }

  function route(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://localhost");
    const p = url.pathname;
    if (p === "/webhook") {
      if (req.method !== "POST") return json(res, 405, { error: "POST webhooks here" });
      const length = Number(req.headers["content-length"] ?? 0);
      if (length > config.maxBody) return tooLarge(req, res, config.maxBody);
      const chunks: Buffer[] = [];
      let size = 0;
      let over = false;
      req.on("data", (c: Buffer) => {
        if (over) return;
        size += c.length;
        if (size > config.maxBody) {
          over = true;
          tooLarge(req, res, config.maxBody);
        } else chunks.push(c);
      });
      req.on("end", () => {
        if (!over) {
          try {
            webhook(req, res, Buffer.concat(chunks));
          } catch (e) {
            log("webhook-error", { error: String(e) });
            json(res, 500, { error: String(e) });
          }
        }
      });
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") return json(res, 405, { error: "the portal is read-only" });
    if (p === "/") return html(res, renderIndex(prListing()));
    if (p === "/portal.js") return send(res, 200, "text/javascript; charset=utf-8", PORTAL_JS, PORTAL_CSP);
    if (p === "/portal.css") return send(res, 200, "text/css; charset=utf-8", PORTAL_CSS, PORTAL_CSP);
    if (p === "/events") return events(res);
    if (p === "/api/prs") return json(res, 200, orderedApi());
    if (p === "/api/jobs") return json(res, 200, queue.jobs());
    let m = /^\/api\/jobs\/(\d+)$/.exec(p);
    if (m) {
      const j = queue.job(Number(m[1]));
      return j ? json(res, 200, { ...j, live: running.get(j.id)?.live ?? null }) : json(res, 404, { error: "no such job" });
    }
    m = /^\/(api\/)?pr\/(\d+)$/.exec(p);
    if (m) {
      const pr = queue.pr(Number(m[2]));
      if (!pr) return notFound(res, `no pull request #${m[2]}`);
      const latest = queue.latestJob(pr.number);
      const finished = queue.latestFinished(pr.number);
      const live = latest ? (running.get(latest.id)?.live ?? null) : null;
      if (m[1]) return json(res, 200, { pr, latest, finished, live, jobHtml: jobHtml(latest, live) });
      return html(res, renderPr(pr, latest, finished, live));
    }
    m = /^\/jobs\/(\d+)(\/.*)?$/.exec(p);
    if (m) return jobFile(res, Number(m[1]), m[2]);
    m = /^\/log\/([^/]+)$/.exec(p);
    if (m) {
      const name = decodeURIComponent(m[1] as string);
      const text = /^[0-9a-z]{32}-[^/]+$/.test(name) ? buildStateFor(store).readLog(`/nix/store/${name}`) : null;
      return text === null ? notFound(res, `no build log for ${name}`) : send(res, 200, "text/plain; charset=utf-8", text, PORTAL_CSP);
    }
    notFound(res, `nothing at ${p}`);
  }

  function orderedApi() {
    return prListing().map((l) => ({ number: l.pr.number, title: l.pr.title, headSha: l.pr.headSha, latest: l.latest, summary: l.finished?.summary ?? null }));
  }

  function jobFile(res: ServerResponse, id: number, rest: string | undefined): void {
    if (rest === undefined) return redirect(res, `/jobs/${id}/`);
    const dir = jobDir(config, id);
    const rel = normalize(decodeURIComponent(rest.slice(1) || "index.html"));
    if (rel.startsWith("..") || rel.includes("\0")) return notFound(res, "no such file");
    const file = join(dir, rel);
    if (rel === "logs" || rel === "logs/") {
      const names = existsSync(file) ? readdirSync(file).sort() : [];
      return send(res, 200, "text/html; charset=utf-8", `<!doctype html><title>logs</title><ul>${names.map((n) => `<li><a href="${encodeURIComponent(n)}">${n.replace(/[<>&"]/g, "")}</a></li>`).join("")}</ul>`, PORTAL_CSP);
    }
    if (!existsSync(file) || !statSync(file).isFile()) return notFound(res, `job ${id} has no ${rel}`);
    const type = rel.endsWith(".html") ? "text/html; charset=utf-8" : rel.endsWith(".json") ? "application/json" : rel.endsWith(".md") ? "text/markdown; charset=utf-8" : "text/plain; charset=utf-8";
    res.writeHead(200, { "content-type": type, "content-security-policy": rel.endsWith(".html") ? REVIEW_CSP : PORTAL_CSP, "x-content-type-options": "nosniff", "cache-control": "no-cache" });
    createReadStream(file).pipe(res);
  }

  function events(res: ServerResponse): void {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    res.write(`retry: 1000\nevent: hello\ndata: ${version}\n\n`);
    streams.add(res);
    const beat = setInterval(() => res.write(": keep-alive\n\n"), 15_000);
    beat.unref();
    res.on("close", () => {
      clearInterval(beat);
      streams.delete(res);
    });
  }

  const server: Server = createServer(route);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port ?? 8080, o.host ?? "127.0.0.1", () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  log("listening", { url, state: config.state, workers: config.workers, github: config.github?.apiUrl ?? null });

  return {
    url,
    port: addr.port,
    queue,
    async idle() {
      while (queue.jobs().some((j) => j.state === "queued" || j.state === "running")) await new Promise((r) => setTimeout(r, 50));
    },
    async close() {
      closing = true;
      poke();
      for (const s of streams) s.end();
      for (const { ac } of running.values()) ac.abort(new Error("the server is stopping"));
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections?.();
      await Promise.allSettled(workers);
      store.close();
      queue.close();
    },
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function send(res: ServerResponse, status: number, type: string, body: string, csp: string): void {
  res.writeHead(status, { "content-type": type, "content-security-policy": csp, "x-content-type-options": "nosniff", "cache-control": "no-cache" });
  res.end(body);
}

function html(res: ServerResponse, body: string): void {
  send(res, 200, "text/html; charset=utf-8", body, PORTAL_CSP);
}

function json(res: ServerResponse, status: number, v: unknown): void {
  send(res, status, "application/json", JSON.stringify(v) + "\n", PORTAL_CSP);
}

function notFound(res: ServerResponse, why: string): void {
  send(res, 404, "text/plain; charset=utf-8", why + "\n", PORTAL_CSP);
}

function redirect(res: ServerResponse, to: string): void {
  res.writeHead(301, { location: to });
  res.end();
}

function tooLarge(req: IncomingMessage, res: ServerResponse, max: number): void {
  if (!res.headersSent) {
    res.writeHead(413, { "content-type": "application/json", connection: "close" });
    res.end(JSON.stringify({ error: `the body is over ${max} bytes (max-body in the config)` }) + "\n");
  }
  // Read no more of it; the connection closes once the answer is out.
  req.pause();
  res.on("finish", () => req.destroy());
}
