// The GitHub App client against a stand-in for GitHub's API on 127.0.0.1: the JWT must verify
// with the app's public key, the installation token is exchanged once and reused until it nears
// expiry, check run bodies are what the API documents (annotations 50 a request, output cut to
// 65,535 characters), and a rate-limited 403/429 is waited out and retried.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobChecks } from "../../src/ci/checks.node.ts";
import { CheckRuns, GitHubApp, OUTPUT_LIMIT, type Annotation } from "../../src/ci/github.node.ts";
import { CiQueue } from "../../src/ci/queue.node.ts";
import { APP_ID, fakeGitHub, INSTALLATION, OWNER, REPO, type FakeGitHub } from "./helpers.ts";

let gh: FakeGitHub;
let tmp: string;

beforeAll(async () => {
  gh = await fakeGitHub();
  tmp = mkdtempSync(join(tmpdir(), "eka-ci-github-"));
});
afterAll(async () => {
  await gh?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const app = (o: Partial<ConstructorParameters<typeof GitHubApp>[0]> = {}) => new GitHubApp({ apiUrl: gh.url, appId: APP_ID, privateKey: gh.privateKeyPem, ...o });
const since = (n: number) => gh.requests.slice(n);

describe("GitHub App client", () => {
  it("exchanges a verified JWT for an installation token once, and again only near its expiry", async () => {
    const a = app();
    // Tokens that live 60.5 s: within a minute of expiring half a second after the exchange.
    gh.tokenTtlMs = 60_500;
    const n = gh.requests.length;
    const t1 = await a.installationToken(INSTALLATION);
    const t2 = await a.installationToken(INSTALLATION);
    expect(t2).toBe(t1);
    expect(a.exchanges).toBe(1);
    const [ex] = since(n);
    expect(ex).toMatchObject({ method: "POST", path: `/app/installations/${INSTALLATION}/access_tokens` });
    expect(ex?.headers.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(ex?.headers.accept).toBe("application/vnd.github+json");
    expect(gh.badJwts).toEqual([]);
    const claims = JSON.parse(Buffer.from(String(ex?.headers.authorization).split(".")[1] as string, "base64url").toString());
    expect(claims.iss).toBe(APP_ID);
    expect(claims.exp - claims.iat).toBeLessThanOrEqual(600);
    await new Promise((r) => setTimeout(r, 700));
    gh.tokenTtlMs = 3600_000;
    const t3 = await a.installationToken(INSTALLATION);
    expect(t3).not.toBe(t1);
    expect(a.exchanges).toBe(2);
  });

  it("a JWT from another key is refused by GitHub, and the error says where and why", async () => {
    const { generateKeyPairSync } = await import("node:crypto");
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const before = gh.badJwts.length;
    await expect(app({ privateKey: other }).installationToken(INSTALLATION)).rejects.toThrow(new RegExp(`POST ${gh.url}/app/installations/${INSTALLATION}/access_tokens: 401 Unauthorized: A JSON web token could not be decoded`));
    expect(gh.badJwts.length).toBe(before + 1);
  });

  it("creates a check run, then updates it in place; 120 annotations go 50, 50, 20", async () => {
    const runs = new CheckRuns(app(), INSTALLATION, OWNER, REPO);
    const sha = "1".repeat(40);
    const n = gh.requests.length;
    const id = await runs.put(null, "eka/eval", sha, { status: "in_progress", output: { title: "evaluating", summary: "…" } });
    const annotations: Annotation[] = Array.from({ length: 120 }, (_, i) => ({ path: `a${i}/atom.toml`, start_line: 1, end_line: 1, annotation_level: "failure", message: `error ${i}` }));
    expect(await runs.put(id, "eka/eval", sha, { status: "completed", conclusion: "failure", output: { title: "120 atoms did not evaluate", summary: "s", annotations } })).toBe(id);
    const reqs = since(n).filter((r) => r.path.startsWith("/repos/"));
    expect(reqs.map((r) => [r.method, r.path])).toEqual([
      ["POST", `/repos/${OWNER}/${REPO}/check-runs`],
      ["PATCH", `/repos/${OWNER}/${REPO}/check-runs/${id}`],
      ["PATCH", `/repos/${OWNER}/${REPO}/check-runs/${id}`],
      ["PATCH", `/repos/${OWNER}/${REPO}/check-runs/${id}`],
    ]);
    expect(reqs[0]?.body).toEqual({ name: "eka/eval", head_sha: sha, status: "in_progress", output: { title: "evaluating", summary: "…" } });
    expect(reqs[1]?.body).toMatchObject({ status: "completed", conclusion: "failure", output: { title: "120 atoms did not evaluate", summary: "s" } });
    expect(reqs.slice(1).map((r) => r.body.output.annotations.length)).toEqual([50, 50, 20]);
    expect(reqs[1]?.headers.authorization).toMatch(/^token ghs_test\d+$/);
    const held = gh.runs().get(id);
    expect(held).toMatchObject({ name: "eka/eval", head_sha: sha, status: "completed", conclusion: "failure" });
    expect(held?.annotations.map((x) => x.message)).toEqual(annotations.map((x) => x.message));
  });

  it("cuts a summary over 65,535 characters at a line and says so", async () => {
    const runs = new CheckRuns(app(), INSTALLATION, OWNER, REPO);
    const n = gh.requests.length;
    const summary = Array.from({ length: 3000 }, (_, i) => `| row ${i} | ${"x".repeat(20)} |`).join("\n");
    expect(summary.length).toBeGreaterThan(OUTPUT_LIMIT);
    await runs.put(null, "eka/review", "2".repeat(40), { status: "completed", conclusion: "success", output: { title: "merge-safe", summary } });
    const sent = since(n).find((r) => r.method === "POST" && r.path.endsWith("/check-runs"))?.body.output.summary as string;
    expect(sent.length).toBeLessThanOrEqual(OUTPUT_LIMIT);
    expect(sent).toMatch(/\| row \d+ \| x{20} \|\n\n… \(cut to GitHub's 65,535 characters/);
    expect(summary.startsWith(sent.slice(0, sent.indexOf("\n\n…")))).toBe(true);
  });

  it("waits out a 403 with Retry-After, and a 429 with x-ratelimit-remaining: 0 until x-ratelimit-reset, then retries", async () => {
    const runs = new CheckRuns(app(), INSTALLATION, OWNER, REPO);
    await runs.put(null, "warm", "3".repeat(40), { status: "queued" }); // the token, so only check-runs are limited below
    gh.limit({ path: /\/check-runs$/, status: 403, headers: { "retry-after": "1" }, times: 1 });
    let n = gh.requests.length;
    const t0 = Date.now();
    const id = await runs.put(null, "eka/review", "3".repeat(40), { status: "in_progress" });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(since(n).map((r) => r.method + " " + r.path)).toEqual([`POST /repos/${OWNER}/${REPO}/check-runs`, `POST /repos/${OWNER}/${REPO}/check-runs`]);
    expect(gh.runs().get(id)?.name).toBe("eka/review");

    const waits: number[] = [];
    const limited = new CheckRuns(app({ sleep: async (ms) => void waits.push(ms) }), INSTALLATION, OWNER, REPO);
    await limited.put(null, "warm", "4".repeat(40), { status: "queued" });
    const reset = Math.floor(Date.now() / 1000) + 30;
    gh.limit({ path: /\/check-runs\/\d+$/, status: 429, headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) }, times: 2 });
    n = gh.requests.length;
    await limited.put(id, "eka/review", "3".repeat(40), { status: "completed", conclusion: "success" });
    expect(since(n).length).toBe(3);
    expect(waits).toHaveLength(2);
    for (const w of waits) expect(w).toBeGreaterThan(25_000);
    expect(gh.runs().get(id)?.conclusion).toBe("success");

    // A 403 that gives no time to wait is an error at once.
    gh.limit({ path: /\/check-runs$/, status: 403, headers: {}, times: 1 });
    await expect(runs.put(null, "x", "5".repeat(40), {})).rejects.toMatchObject({ code: "E_GITHUB_API", message: expect.stringMatching(/403 Forbidden: API rate limit exceeded/) });
  });

  it("a job's checks keep their ids per commit: a second run of the same commit updates them, and marks a fixed atom", async () => {
    const queue = new CiQueue(join(tmp, "q.sqlite"));
    const job = { id: 7, kind: "pull_request" as const, pr: 1, owner: OWNER, repo: REPO, installation: INSTALLATION, baseSha: "6".repeat(40), headSha: "7".repeat(40), only: [], state: "running" as const, created: 0, started: 0, finished: null, error: null, summary: null };
    const runs = new CheckRuns(app(), INSTALLATION, OWNER, REPO);
    const review = (failing: boolean) => ({
      version: 1, base: { rev: "b", commit: "b" }, head: { rev: "h", commit: "h" }, options: {} as never,
      verdict: { mergeSafe: !failing, reasons: failing ? ["1 newly failing"] : [] },
      counts: {} as never,
      atoms: failing ? [{ key: "png", category: "newly-failing", failure: { root: "png", package: "png-1.6.0", storePath: "/nix/store/x", code: "E_BUILD_FAILED", message: "png.c:1: error" } }] as never : [],
      failures: failing ? [{ root: "png", package: "png-1.6.0", dependents: ["app"], tail: 0, log: "png.log" }] : [],
      logTails: failing ? ["cc png.c\npng.c:1: error: expected expression"] : [],
    });
    const n = gh.requests.length;
    const first = new JobChecks(runs, queue, job, undefined);
    await first.started();
    await first.reviewed(review(true) as never, "# review\n");
    const ids = queue.checkRuns(job.headSha);
    expect(ids.map((r) => r.name)).toEqual(["eka/build: png", "eka/eval", "eka/review"]);
    const png = gh.runs().get(ids[0]?.id as number);
    expect(png).toMatchObject({ conclusion: "failure", output: { title: "png fails to build (and 1 dependent)" } });
    expect(png?.output.summary).toContain("E_BUILD_FAILED: png.c:1: error");
    expect(png?.output.text).toBe("```\ncc png.c\npng.c:1: error: expected expression\n```");
    const again = new JobChecks(runs, queue, { ...job, id: 8 }, undefined);
    await again.started();
    await again.reviewed(review(false) as never, "# review\n");
    const reqs = since(n).filter((r) => r.path.startsWith("/repos/"));
    expect(reqs.filter((r) => r.method === "POST").map((r) => r.body.name)).toEqual(["eka/eval", "eka/review", "eka/build: png"]);
    expect(queue.checkRuns(job.headSha)).toEqual(ids);
    expect(gh.runs().get(ids[0]?.id as number)).toMatchObject({ conclusion: "success", output: { title: "builds now" } });
    expect(gh.runs().get(ids[2]?.id as number)).toMatchObject({ conclusion: "success", output: { title: "merge-safe", summary: "# review\n" } });
    queue.close();
  });

  it("makes at most 40 atom runs, in review order, for 45 newly failing atoms", async () => {
    const queue = new CiQueue(join(tmp, "q40.sqlite"));
    const job = { id: 9, kind: "push" as const, pr: null, owner: OWNER, repo: REPO, installation: INSTALLATION, baseSha: "8".repeat(40), headSha: "9".repeat(40), only: [], state: "running" as const, created: 0, started: 0, finished: null, error: null, summary: null };
    const keys = Array.from({ length: 45 }, (_, i) => `a${String(i).padStart(2, "0")}`);
    const review = {
      verdict: { mergeSafe: false, reasons: ["45 newly failing"] },
      atoms: keys.map((key) => ({ key, category: "newly-failing", failure: { root: key, package: `${key}-1`, storePath: "/nix/store/x", code: "E_BUILD_FAILED", message: "failed" } })),
      failures: keys.map((root) => ({ root, package: `${root}-1`, dependents: [], tail: null, log: null })),
      logTails: [],
    };
    const n = gh.requests.length;
    await new JobChecks(new CheckRuns(app(), INSTALLATION, OWNER, REPO), queue, job, undefined).reviewed(review as never, "md");
    const names = since(n).filter((r) => r.method === "POST" && r.path.endsWith("/check-runs")).map((r) => r.body.name);
    expect(names).toEqual(["eka/review", ...keys.slice(0, 40).map((k) => `eka/build: ${k}`)]);
    queue.close();
  });
});
