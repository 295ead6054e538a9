// `eka ci serve` end to end, as a real process (bin/eka.js) on a temporary git repository of
// small C atoms built with the real seed, reporting to a stand-in for GitHub on 127.0.0.1.
// Two pull requests: #1 breaks png (app depends on it), #2 changes hello. The server is killed
// (SIGKILL) while #1's job builds and started again: the job completes, its check runs updated
// in place. Then the portal in real Chromium: / lists both, /pr/N agrees with review.json, a
// comment's rebuild job shows up live, no request leaves 127.0.0.1, no console error.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Job } from "../../src/ci/queue.node.ts";
import type { Review } from "../../src/review/types.ts";
import { CHROMIUM, haveChromium, launchChromium } from "../helpers/chromium.ts";
import { makeFixture, PNG_C, ROOT, type Fixture } from "../review/helpers.ts";
import { commentEvent, configToml, deliver, fakeGitHub, checkRunRerequested, prEvent, type FakeGitHub } from "./helpers.ts";

let f: Fixture;
let gh: FakeGitHub;
let config: string;
let server: { proc: ChildProcess; url: string; out: string[]; err: string[] } | null = null;
let base: string;
let head1: string;
let head2: string;

function start(): Promise<{ proc: ChildProcess; url: string; out: string[]; err: string[] }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [join(ROOT, "bin/eka.js"), "ci", "serve", "--config", config, "--port", "0", "--json"], { env: f.env, stdio: ["ignore", "pipe", "pipe"] });
    const out: string[] = [];
    let buf = "";
    const err: string[] = [];
    proc.stderr?.on("data", (c: Buffer) => err.push(c.toString()));
    proc.stdout?.on("data", (c: Buffer) => {
      buf += c.toString();
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        out.push(line);
        const e = JSON.parse(line) as { event: string; url?: string };
        if (e.event === "listening") resolve({ proc, url: e.url as string, out, err });
      }
    });
    proc.on("exit", (code) => reject(new Error(`eka ci serve exited ${code}:\n${err.join("")}\n${out.join("\n")}`)));
  });
}

/** A GET of the server's JSON API; a connection reset (a kept-alive socket the server just closed) is tried again. */
async function api<T>(path: string): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return (await (await fetch(`${server?.url}${path}`)).json()) as T;
    } catch (e) {
      if (i === 3 || server?.proc.exitCode !== null) throw new Error(`GET ${path}: ${String(e)}; server exit ${server?.proc.exitCode}:\n${server?.err.join("")}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function until<T>(what: string, f: () => Promise<T | undefined | null | false>, ms = 240_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

const allDone = () => until("every job to finish", async () => {
  const jobs = await api<Job[]>("/api/jobs");
  return jobs.every((j) => j.state !== "queued" && j.state !== "running") && jobs;
});

beforeAll(async () => {
  f = makeFixture();
  base = await f.commit("base");
  f.git("checkout", "-q", "-b", "pr1");
  f.write("libs/png/src/png.c", PNG_C("return 1600 + ;"));
  head1 = await f.commit("break png");
  f.git("checkout", "-q", "-b", "pr2", base);
  f.write("hello/src/hello.c", '#include <stdio.h>\nint main(void) { puts("hello, world"); return 0; }\n');
  head2 = await f.commit("hello, world");
  f.git("checkout", "-q", "main");
  gh = await fakeGitHub();
  writeFileSync(join(f.tmp, "app.pem"), gh.privateKeyPem);
  config = join(f.tmp, "eka-ci.toml");
  writeFileSync(config, configToml({ repo: f.repo, state: join(f.tmp, "ci-state"), store: f.env.EKA_STORE as string, workers: 1, github: { url: gh.url, keyFile: "app.pem" }, cache: "binary-cache", extra: 'url = "https://ci.example.test/"' }));
  server = await start();
}, 120_000);

afterAll(async () => {
  if (server) {
    server.proc.kill("SIGTERM");
    await new Promise((r) => server?.proc.once("exit", r));
  }
  await gh?.close();
  if (f) rmSync(f.tmp, { recursive: true, force: true });
});

const runsOf = (sha: string) => Object.fromEntries([...gh.runs().values()].filter((r) => r.head_sha === sha).map((r) => [r.name, r]));

describe("eka ci serve", { timeout: 300_000 }, () => {
  it("runs a job per pull request, survives SIGKILL mid-build, and reports check runs: one failing run for the newly failing atom", async () => {
    const s = server as NonNullable<typeof server>;
    expect((await deliver(s.url, "pull_request", prEvent("opened", 1, base, head1, "break png"))).status).toBe(202);
    expect((await deliver(s.url, "pull_request", prEvent("opened", 2, base, head2, "hello, world"))).status).toBe(202);
    // Kill the server while #1's job builds (#2's waits in the queue).
    await until("job 1 to build", async () => (await api<{ live: { phase: string } | null }>("/api/jobs/1")).live?.phase === "building");
    s.proc.kill("SIGKILL");
    await new Promise((r) => s.proc.once("exit", r));
    server = await start();
    expect(server.out.some((l) => JSON.parse(l).event === "requeued")).toBe(true);
    const jobs = await allDone();
    expect(jobs.map((j) => [j.id, j.pr, j.state])).toEqual([[1, 1, "done"], [2, 2, "done"]]);
    // Lines changed as git counts them (the C change and the locks eka resolve rewrote).
    const lines = (a: string, b: string) => f.git("diff", "--numstat", a, b).trim().split("\n").reduce((n, l) => n + Number(l.split("\t")[0]) + Number(l.split("\t")[1]), 0);
    expect(lines(base, head1)).toBeGreaterThanOrEqual(2);
    expect(jobs[0]?.summary).toMatchObject({ mergeSafe: false, newlyFailing: 1, rebuilds: 2, linesChanged: lines(base, head1) });
    expect(jobs[1]?.summary).toMatchObject({ mergeSafe: true, newlyFailing: 0, rebuilds: 1, linesChanged: lines(base, head2) });

    const rv = JSON.parse(readFileSync(join(f.tmp, "ci-state/jobs/1/review.json"), "utf8")) as Review;
    expect(rv.head.commit).toBe(head1);
    expect(rv.failures).toEqual([{ root: "png", package: "png-1.6.0", dependents: ["app"], tail: 0, log: "png.log" }]);
    expect(existsSync(join(f.tmp, "ci-state/jobs/1/logs/png.log"))).toBe(true);

    // #1: the gate passes (everything evaluated), the review fails, png has its own failing run; app (dep-failed) is grouped under it.
    const r1 = runsOf(head1);
    expect(Object.keys(r1).sort()).toEqual(["eka/build: png", "eka/eval", "eka/review"]);
    expect(r1["eka/eval"]).toMatchObject({ status: "completed", conclusion: "success", output: { title: "4 atoms evaluated" } });
    expect(r1["eka/review"]).toMatchObject({ status: "completed", conclusion: "failure", output: { title: "not merge-safe: 1 newly failing" } });
    expect(r1["eka/review"]?.output.summary).toBe(readFileSync(join(f.tmp, "ci-state/jobs/1/review.md"), "utf8"));
    expect(r1["eka/build: png"]).toMatchObject({ conclusion: "failure", output: { title: "png fails to build (and 1 dependent)" } });
    expect(r1["eka/build: png"]?.output.text).toContain("error:");
    // The runs created before the kill were updated in place after the restart, not made again.
    const posts = gh.requests.filter((r) => r.method === "POST" && r.path.endsWith("/check-runs") && r.body.head_sha === head1).map((r) => r.body.name);
    expect(posts.sort()).toEqual(["eka/build: png", "eka/eval", "eka/review"]);
    expect(gh.badJwts).toEqual([]);
    // Each run links to the pull request's page on the portal (the config's url).
    for (const q of gh.requests.filter((r) => r.path.includes("/check-runs") && r.body?.head_sha === head1)) expect(q.body.details_url).toBe("https://ci.example.test/pr/1");

    const r2 = runsOf(head2);
    expect(Object.keys(r2).sort()).toEqual(["eka/eval", "eka/review"]);
    expect(r2["eka/review"]).toMatchObject({ conclusion: "success", output: { title: "merge-safe" } });

    // What built went to the binary cache: hello's new output among the narinfos.
    const cache = join(f.tmp, "binary-cache");
    expect(readFileSync(join(cache, "nix-cache-info"), "utf8")).toContain("StoreDir: /nix/store");
    const rv2 = JSON.parse(readFileSync(join(f.tmp, "ci-state/jobs/2/review.json"), "utf8")) as Review;
    const hello = rv2.atoms.find((a) => a.key === "hello");
    expect(hello?.head?.status).toBe("built");
    expect(readdirSync(cache)).toContain(`${(hello?.head?.storePath as string).slice("/nix/store/".length, "/nix/store/".length + 32)}.narinfo`);
  });

  it("a re-requested check run reviews the same commit again, building nothing: results are kept per pid", async () => {
    const s = server as NonNullable<typeof server>;
    const r = await deliver(s.url, "check_run", checkRunRerequested(head2, 2));
    expect(r.status).toBe(202);
    await allDone();
    const rv = JSON.parse(readFileSync(join(f.tmp, `ci-state/jobs/${r.body.job}/review.json`), "utf8")) as Review;
    expect(rv.atoms.find((a) => a.key === "hello")?.head?.status).toBe("cached");
    expect(rv.atoms.filter((a) => a.head?.status === "built" || a.base?.status === "built")).toEqual([]);
    expect(gh.requests.filter((q) => q.method === "POST" && q.body?.head_sha === head2).length).toBe(2);
  });
});

describe.skipIf(!haveChromium)("the portal in Chromium", { timeout: 120_000 }, () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => browser?.close());

  async function open(path: string): Promise<{ page: Page; requests: string[]; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on("request", (q) => requests.push(q.url()));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${server?.url}${path}`);
    return { page, requests, errors };
  }

  it("/ lists the open pull requests, most rebuilds first", async () => {
    const { page, requests, errors } = await open("/");
    const rows = await page.locator("#prs tbody tr").evaluateAll((trs) => trs.map((t) => [t.getAttribute("data-pr"), t.getAttribute("data-rebuilds"), t.getAttribute("data-newly-failing")]));
    expect(rows).toEqual([["1", "2", "1"], ["2", "1", "0"]]);
    expect(await page.locator('#prs tr[data-pr="1"]').innerText()).toMatch(/#1\s+break png\s+✗ not merge-safe/);
    await page.screenshot({ path: join(tmpdir(), "eka-ci-portal.png"), fullPage: true });
    for (const u of requests) expect(u, u).toMatch(/^(data:|http:\/\/127\.0\.0\.1[:/])/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("/pr/1 shows the review: section counts match review.json, the failing log opens, logs are served", async () => {
    const { page, requests, errors } = await open("/pr/1");
    const rv = JSON.parse(readFileSync(join(f.tmp, "ci-state/jobs/1/review.json"), "utf8")) as Review;
    expect(await page.locator("#job").getAttribute("data-finished")).toBe("1");
    const frame = page.frameLocator("iframe#review");
    await frame.locator("#verdict").waitFor();
    expect(await frame.locator("#verdict").getAttribute("data-merge-safe")).toBe("false");
    const counts = Object.fromEntries(await frame.locator("main > section").evaluateAll((els) => els.map((e) => [e.getAttribute("data-section"), Number(e.getAttribute("data-count"))])));
    for (const k of ["evaluation-error", "newly-failing", "newly-succeeding", "added", "removed", "still-failing", "still-succeeding", "not-built", "unchanged"] as const) expect(counts[k], k).toBe(rv.counts[k]);
    expect(counts["newly-failing"]).toBe(1);
    const png = frame.locator('.row[data-key="png"]');
    await png.locator("summary").click();
    expect(await png.locator("pre.log").textContent()).toBe(rv.logTails[0]);
    // The full log at its URL, and the job's builds each with a log link.
    const logRes = await page.request.get(`${server?.url}/jobs/1/logs/png.log`);
    expect(logRes.status()).toBe(200);
    expect(await logRes.text()).toContain("error:");
    // Every build's log by its store path name, failed ones too.
    const pngPath = rv.atoms.find((a) => a.key === "png")?.head?.storePath as string;
    const built = await page.request.get(`${server?.url}/log/${pngPath.slice("/nix/store/".length)}`);
    expect(built.status()).toBe(200);
    expect(await built.text()).toContain("png.c");
    expect((await page.request.get(`${server?.url}/log/${"0".repeat(32)}-nothing-1.0`)).status()).toBe(404);
    await page.screenshot({ path: join(tmpdir(), "eka-ci-pr.png"), fullPage: true });
    for (const u of requests) expect(u, u).toMatch(/^(data:|http:\/\/127\.0\.0\.1[:/])/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("/pr/2 follows a new job live: a rebuild comment's job appears and its review replaces the old one", async () => {
    const { page, requests, errors } = await open("/pr/2");
    const before = Number(await page.locator("#job").getAttribute("data-finished"));
    const r = await deliver(server?.url as string, "issue_comment", commentEvent(2, "@eka review rebuild hello"));
    expect(r.status).toBe(202);
    // Without a reload: the event stream redraws the job and swaps the frame to the new review.
    await page.locator(`#job[data-finished="${r.body.job}"]`).waitFor({ timeout: 60_000 });
    expect(Number(r.body.job)).toBeGreaterThan(before);
    expect(await page.locator("iframe#review").getAttribute("src")).toBe(`/jobs/${r.body.job}/`);
    await page.frameLocator("iframe#review").locator("#verdict").waitFor();
    expect(await page.locator("#job").innerText()).toMatch(/\(rebuild: hello\): done/);
    for (const u of requests) expect(u, u).toMatch(/^(data:|http:\/\/127\.0\.0\.1[:/])/);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe("a new head while the old one builds", { timeout: 300_000 }, () => {
  it("cancels the running job (its build aborted, its review check concluded cancelled) and reviews the new head; closing drops the PR", async () => {
    const s = server as NonNullable<typeof server>;
    f.git("checkout", "-q", "-b", "pr3", base);
    f.write("libs/png/src/png.c", PNG_C("return 1601 + zver();"));
    const old = await f.commit("png 1601");
    f.write("libs/png/src/png.c", PNG_C("return 1602 + zver();"));
    const fresh = await f.commit("png 1602");
    f.git("checkout", "-q", "main");
    const first = await deliver(s.url, "pull_request", prEvent("opened", 3, base, old, "png 1601"));
    await until("the first job to build", async () => (await api<{ live: { phase: string } | null }>(`/api/jobs/${first.body.job}`)).live?.phase === "building");
    // While it builds, /pr/3 shows what changed and the builds so far.
    const during = await api<{ live: { changes: Record<string, number>; phase: string } | null; jobHtml: string }>("/api/pr/3");
    expect(during.live?.changes).toEqual({ changed: 2, unchanged: 2 });
    expect(await (await fetch(`${s.url}/pr/3`)).text()).toMatch(/<span data-change="changed">2 changed<\/span>/);
    const second = await deliver(s.url, "pull_request", prEvent("synchronize", 3, base, fresh, "png 1602"));
    expect(second.body.cancelled).toEqual([first.body.job]);
    await allDone();
    expect((await api<Job>(`/api/jobs/${first.body.job}`)).state).toBe("cancelled");
    expect((await api<Job>(`/api/jobs/${second.body.job}`)).state).toBe("done");
    expect(existsSync(join(f.tmp, `ci-state/jobs/${first.body.job}/review.json`))).toBe(false);
    await until("the cancelled job's check run", async () => runsOf(old)["eka/review"]?.conclusion === "cancelled");
    expect(runsOf(old)["eka/eval"]?.conclusion).toBe("success");
    expect(runsOf(fresh)["eka/review"]).toMatchObject({ conclusion: "success", output: { title: "merge-safe" } });
    expect((await api<{ number: number }[]>("/api/prs")).map((p) => p.number)).toContain(3);
    expect((await deliver(s.url, "pull_request", prEvent("closed", 3, base, fresh))).body).toEqual({ closed: 3 });
    expect((await api<{ number: number }[]>("/api/prs")).map((p) => p.number)).not.toContain(3);
  });
});

describe("a manifest that does not evaluate", { timeout: 120_000 }, () => {
  it("fails the eka/eval gate with an annotation on its atom.toml", async () => {
    const s = server as NonNullable<typeof server>;
    f.git("checkout", "-q", "-b", "pr4", base);
    f.write("hello/atom.toml", '[atom\nid = "hello"\n');
    const broken = await f.commit("break hello's manifest");
    f.git("checkout", "-q", "main");
    expect((await deliver(s.url, "pull_request", prEvent("opened", 4, base, broken, "broken manifest"))).status).toBe(202);
    await allDone();
    const runs = runsOf(broken);
    expect(runs["eka/eval"]).toMatchObject({ status: "completed", conclusion: "failure", output: { title: "1 atom did not evaluate" } });
    expect(runs["eka/eval"]?.annotations).toEqual([expect.objectContaining({ path: "hello/atom.toml", annotation_level: "failure", title: expect.stringMatching(/^hello: E_/) })]);
    expect(runs["eka/review"]).toMatchObject({ conclusion: "failure", output: { title: "not merge-safe: 1 evaluation error" } });
  });
});
