// POST /webhook of a real server on 127.0.0.1 (no worker runs the jobs: workers = 0), fed payloads
// in GitHub's documented shapes, signed here: what is accepted, refused, dropped as a repeat, and
// what lands in the SQLite queue — which a restarted server finds as it was.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/ci/config.node.ts";
import { startCiServer, type CiServer } from "../../src/ci/server.node.ts";
import { signature } from "../../src/ci/webhook.node.ts";
import { checkRunRerequested, commentEvent, configToml, deliver, prEvent, pushEvent, SECRET } from "./helpers.ts";

const A = "a".repeat(40);
const B = "b".repeat(40);
const C = "c".repeat(40);
let tmp: string;
let file: string;
let server: CiServer;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "eka-ci-webhook-"));
  file = join(tmp, "eka-ci.toml");
  writeFileSync(file, configToml({ repo: join(tmp, "no-repo"), state: join(tmp, "state"), store: join(tmp, "store"), workers: 0, maxBody: 4096 }));
  server = await startCiServer(loadConfig(file), { port: 0 });
});

afterAll(async () => {
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe("POST /webhook", () => {
  it("queues a job for a signed pull_request.opened, with the PR's commits", async () => {
    const r = await deliver(server.url, "pull_request", prEvent("opened", 1, A, B, "zlib 1.3.1"));
    expect(r.status).toBe(202);
    const job = server.queue.job(r.body.job as number);
    expect(job).toMatchObject({ kind: "pull_request", pr: 1, owner: "octo", repo: "atoms", installation: 4242, baseSha: A, headSha: B, only: [], state: "queued" });
    expect(server.queue.pr(1)).toMatchObject({ number: 1, title: "zlib 1.3.1", state: "open", baseRef: "main", baseSha: A, headSha: B });
  });

  it("refuses a bad, a missing or another secret's signature with 401, and queues nothing", async () => {
    const before = server.queue.jobs().length;
    const payload = prEvent("opened", 2, A, B);
    const raw = Buffer.from(JSON.stringify(payload));
    const bad = await deliver(server.url, "pull_request", payload, { signature: "sha256=" + "0".repeat(64) });
    expect(bad.status).toBe(401);
    expect(bad.body.error).toMatch(/does not match/);
    const missing = await deliver(server.url, "pull_request", payload, { secret: null });
    expect(missing.status).toBe(401);
    expect(missing.body.error).toMatch(/missing X-Hub-Signature-256/);
    expect((await deliver(server.url, "pull_request", payload, { secret: "another secret" })).status).toBe(401);
    // A signature of other bytes (the same JSON re-spaced) does not pass either.
    expect((await deliver(server.url, "pull_request", payload, { raw, signature: signature(SECRET, JSON.stringify(payload, null, 1)) })).status).toBe(401);
    expect((await deliver(server.url, "pull_request", payload, { signature: "sha1=" + "0".repeat(40) })).status).toBe(401);
    expect(server.queue.jobs().length).toBe(before);
    expect(server.queue.pr(2)).toBeNull();
  });

  it("refuses a body over max-body with 413, and goes on serving", async () => {
    const payload = { ...prEvent("opened", 3, A, B), padding: "x".repeat(5000) };
    const r = await deliver(server.url, "pull_request", payload);
    expect(r.status).toBe(413);
    expect(r.body.error).toMatch(/over 4096 bytes/);
    // Without a Content-Length (chunked), it is cut off while reading.
    const raw = Buffer.from(JSON.stringify(payload));
    const res = await fetch(`${server.url}/webhook`, {
      method: "POST",
      headers: { "x-github-event": "pull_request", "x-github-delivery": "chunked-1", "x-hub-signature-256": signature(SECRET, raw) },
      body: new ReadableStream({ start(c) { c.enqueue(raw.subarray(0, 3000)); c.enqueue(raw.subarray(3000)); c.close(); } }),
      duplex: "half",
    } as RequestInit).catch((e: unknown) => e);
    if (res instanceof Response) expect(res.status).toBe(413);
    expect(server.queue.pr(3)).toBeNull();
    expect((await deliver(server.url, "ping", { zen: "Keep it logically awesome." })).body).toEqual({ ignored: "ping" });
  });

  it("drops a repeated delivery (X-GitHub-Delivery seen before), and a forged one does not shadow the real one", async () => {
    const payload = prEvent("opened", 4, A, C);
    const forged = await deliver(server.url, "pull_request", payload, { delivery: "same-id", secret: "wrong" });
    expect(forged.status).toBe(401);
    const first = await deliver(server.url, "pull_request", payload, { delivery: "same-id" });
    expect(first.status).toBe(202);
    const count = server.queue.jobs().length;
    const again = await deliver(server.url, "pull_request", payload, { delivery: "same-id" });
    expect(again).toMatchObject({ status: 200, body: { duplicate: true } });
    expect(server.queue.jobs().length).toBe(count);
  });

  it("a new head commit cancels the PR's older job; closing cancels the rest", async () => {
    const first = await deliver(server.url, "pull_request", prEvent("opened", 5, A, B));
    const second = await deliver(server.url, "pull_request", prEvent("synchronize", 5, A, C));
    expect(second.status).toBe(202);
    expect(second.body.cancelled).toEqual([first.body.job]);
    expect(server.queue.job(first.body.job as number)?.state).toBe("cancelled");
    expect(server.queue.job(second.body.job as number)?.state).toBe("queued");
    expect(server.queue.pr(5)?.headSha).toBe(C);
    const closed = await deliver(server.url, "pull_request", prEvent("closed", 5, A, C));
    expect(closed.body).toEqual({ closed: 5 });
    expect(server.queue.job(second.body.job as number)?.state).toBe("cancelled");
    expect(server.queue.pr(5)?.state).toBe("closed");
    // An action that changes no code (labeled) is not a job.
    expect((await deliver(server.url, "pull_request", prEvent("labeled", 1, A, B))).body.ignored).toBe("pull_request.labeled");
  });

  it("push, check_run.rerequested and '@eka review rebuild ATOM' become jobs", async () => {
    const push = await deliver(server.url, "push", pushEvent(A, C));
    expect(server.queue.job(push.body.job as number)).toMatchObject({ kind: "push", pr: null, baseSha: A, headSha: C });
    expect((await deliver(server.url, "push", { ...pushEvent(A, "0".repeat(40)), deleted: true })).body.ignored).toMatch(/deleting/);

    const rr = await deliver(server.url, "check_run", checkRunRerequested(B, 1));
    expect(server.queue.job(rr.body.job as number)).toMatchObject({ kind: "rerequested", pr: 1, baseSha: A, headSha: B, only: [] });
    expect((await deliver(server.url, "check_run", checkRunRerequested("e".repeat(40), null))).body.ignored).toMatch(/no pull request or earlier job/);

    const c = await deliver(server.url, "issue_comment", commentEvent(1, "Looks odd.\n@eka review rebuild png\n@eka review rebuild app zlib\n"));
    expect(server.queue.job(c.body.job as number)).toMatchObject({ kind: "rebuild", pr: 1, baseSha: A, headSha: B, only: ["png", "app", "zlib"] });
    expect((await deliver(server.url, "issue_comment", commentEvent(1, "please rebuild png"))).body.ignored).toMatch(/@eka review rebuild/);
    expect((await deliver(server.url, "issue_comment", commentEvent(99, "@eka review rebuild png"))).body.ignored).toMatch(/#99 is not an open pull request/);
  });

  it("the queue is on disk: a restarted server has the same jobs, and a job left running is queued again", async () => {
    const claimed = server.queue.claim();
    expect(claimed?.state).toBe("running");
    const jobs = server.queue.jobs().map((j) => [j.id, j.id === claimed?.id ? "queued" : j.state]);
    await server.close();
    server = await startCiServer(loadConfig(file), { port: 0 });
    expect(server.queue.jobs().map((j) => [j.id, j.state])).toEqual(jobs);
    // The delivery ids too: a repeat after the restart is still dropped.
    expect((await deliver(server.url, "pull_request", prEvent("opened", 4, A, C), { delivery: "same-id" })).body).toEqual({ duplicate: true });
  });
});

describe("the config", () => {
  const write = (text: string) => {
    const f = join(tmp, `c-${Math.random().toString(36).slice(2)}.toml`);
    writeFileSync(f, text);
    return f;
  };
  it("names the file and the key of each mistake", () => {
    expect(() => loadConfig(write(`secret = "s"\n`), {})).toThrow(/c-.*\.toml: 'repo' is missing/);
    expect(() => loadConfig(write(`repo = "."\n`), {})).toThrow(/'secret' is missing: set 'secret', 'secret-file' or the environment variable EKA_CI_SECRET/);
    expect(() => loadConfig(write(`repo = "."\nsecret = "s"\nworkers = -1\n`), {})).toThrow(/'workers' must be a whole number 0 or more/);
    expect(() => loadConfig(write(`repo = "."\nsecret = "s"\nwrokers = 2\n`), {})).toThrow(/unknown key 'wrokers'/);
    expect(() => loadConfig(write(`repo = "."\nsecret = "s"\n[github]\napp-id = 5\n`), {})).toThrow(/'github.private-key-file' is missing/);
    expect(() => loadConfig(write(`repo = "."\nsecret = "s"\n[github]\napp-id = 5\nprivate-key-file = "nope.pem"\n`), {})).toThrow(/'github.private-key-file' names .*nope.pem, which cannot be read \(ENOENT\)/);
    expect(() => loadConfig(write(`repo = "."\nsecret = "s"\n[review]\nbase = "all"\n`), {})).toThrow(/'review.base' is build, cached or none/);
    expect(() => loadConfig(write(`repo = [`), {})).toThrow(/not valid TOML/);
  });
  it("takes the secret from secret-file or EKA_CI_SECRET, paths relative to the file", () => {
    writeFileSync(join(tmp, "secret.txt"), "from-file\n");
    expect(loadConfig(write(`repo = "r"\nsecret-file = "secret.txt"\n`), {})).toMatchObject({ secret: "from-file", repo: join(tmp, "r"), state: join(tmp, "eka-ci-state"), workers: 1 });
    expect(loadConfig(write(`repo = "https://example.invalid/a.git"\n`), { EKA_CI_SECRET: "from-env" })).toMatchObject({ secret: "from-env", repo: "https://example.invalid/a.git" });
  });
});
