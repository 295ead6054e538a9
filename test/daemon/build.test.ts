// `eka build` through the daemon, with real processes: two clients at once both get their results;
// a client killed mid-build cancels only its own request and the daemon serves the next; a daemon
// killed mid-build makes the client rebuild in-process, with the store path and cid a build
// without any daemon gives. EKA_DAEMON=off never uses it; EKA_DAEMON=auto starts it.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { alive, daemonPid, helloRepo, sandbox, slowAtom, until } from "./helpers.ts";

const sb = sandbox("build");
afterAll(() => sb.cleanup());

interface Status {
  pid: number;
  requests: { running: number; done: number };
  workers: { started: number; jobs: number };
  modulesCompiled: number;
}
const status = async (): Promise<Status> => JSON.parse((await sb.eka(["daemon", "status", "--json"])).stdout) as Status;

beforeAll(async () => {
  const r = await sb.eka(["daemon", "start"]);
  expect(r.status, r.stderr).toBe(0);
});

it("serves two clients building at once; both get the output a build without the daemon prints", async () => {
  const hello = helloRepo(path.join(sb.tmp, "hello"));
  const small = slowAtom(path.join(sb.tmp, "small"), 40, "small");
  const [a, b] = [sb.spawnEka(["build", hello]), sb.spawnEka(["build", small])];
  const [ea, eb] = await Promise.all([a.exited, b.exited]);
  expect(ea.status, a.stderr()).toBe(0);
  expect(eb.status, b.stderr()).toBe(0);
  // Progress came back from the daemon as it happened.
  expect(a.stderr()).toMatch(/built hello-1\.0\.0 in/);
  expect(b.stderr()).toMatch(/built small-0\.1\.0 in/);
  expect((await status()).requests).toEqual({ running: 0, done: 2 });
  const offA = await sb.eka(["build", hello], { EKA_DAEMON: "off" });
  const offB = await sb.eka(["build", small], { EKA_DAEMON: "off" });
  expect(a.stdout()).toBe(offA.stdout);
  expect(b.stdout()).toBe(offB.stdout);
  expect(a.stdout()).toMatch(/^\/nix\/store\/[a-z0-9]{32}-hello-1\.0\.0\n$/);
  expect((await status()).requests.done, "EKA_DAEMON=off went around the daemon").toBe(2);
  // The seed was compiled once, in the daemon, for both.
  expect((await status()).modulesCompiled).toBe(1);
}, 240_000);

it("a client killed mid-build cancels its request; the daemon carries on and serves the next", async () => {
  const dir = slowAtom(path.join(sb.tmp, "slow-killed"), 500, "slowk");
  const r = sb.spawnEka(["build", dir]);
  await r.seen(/cc:slowk\/main\.c/);
  expect((await status()).requests.running).toBe(1);
  r.child.kill("SIGKILL");
  await r.exited;
  await until(async () => (await status()).requests.running === 0, 10_000, "the daemon to cancel the killed client's build");
  const pid = (await status()).pid;
  const hello = helloRepo(path.join(sb.tmp, "hello-after"));
  const next = await sb.eka(["build", hello, "--no-progress"]);
  expect(next.status, next.stderr).toBe(0);
  expect(next.stderr).toBe("");
  expect(next.stdout).toMatch(/-hello-1\.0\.0\n$/);
  expect((await status()).pid).toBe(pid);
  // The cancelled build left no lock behind: it builds now, through the same daemon.
  const again = await sb.eka(["build", dir, "--no-progress"]);
  expect(again.status, again.stderr).toBe(0);
  expect(again.stdout).toMatch(/-slowk-0\.1\.0\n$/);
  const verify = await sb.eka(["store", "verify"]);
  expect(verify.status, verify.stdout + verify.stderr).toBe(0);
}, 240_000);

it("Ctrl-C in a client stops its own build only; another client's build finishes", async () => {
  const mine = slowAtom(path.join(sb.tmp, "slow-mine"), 500, "slowm");
  const theirs = slowAtom(path.join(sb.tmp, "slow-theirs"), 300, "slowt");
  const a = sb.spawnEka(["build", mine]);
  const b = sb.spawnEka(["build", theirs]);
  // Both compiles run on the daemon's pool when the first client is interrupted.
  await Promise.all([a.seen(/cc:slowm\/main\.c/), b.seen(/cc:slowt\/main\.c/)]);
  expect((await status()).requests.running).toBe(2);
  a.child.kill("SIGINT");
  const [ea, eb] = await Promise.all([a.exited, b.exited]);
  expect(ea.status).toBe(130);
  expect(a.stderr()).toMatch(/eka: stopping…/);
  expect(a.stderr()).toMatch(/error\[E_ABORTED\]/);
  expect(eb.status, b.stderr()).toBe(0);
  expect(b.stdout()).toMatch(/-slowt-0\.1\.0\n$/);
}, 240_000);

it("a daemon killed mid-build: the client rebuilds in-process, with the path and cid of a build without the daemon", async () => {
  const dir = slowAtom(path.join(sb.tmp, "slow-dies"), 300, "slowd");
  const pid = (await status()).pid;
  const r = sb.spawnEka(["build", dir]);
  await r.seen(/cc:slowd\/main\.c/);
  process.kill(pid, "SIGKILL");
  const { status: code } = await r.exited;
  expect(code, r.stderr()).toBe(0);
  expect(r.stderr().split("\n").filter((l) => /warning/.test(l))).toEqual([`eka: warning: the eka daemon (pid ${pid}) went away during the build; running in-process`]);
  expect(alive(pid)).toBe(false);
  // The same result as a build in a fresh store with no daemon at all.
  const fresh = path.join(sb.tmp, "fresh-store");
  const off = await sb.eka(["build", dir, "--json"], { EKA_DAEMON: "off", EKA_STORE: fresh });
  const here = await sb.eka(["build", dir, "--json"], { EKA_DAEMON: "off" });
  const pick = (s: string) => (JSON.parse(s) as { results: { storePath: string; cid: string }[] }).results.map(({ storePath, cid }) => ({ storePath, cid }));
  expect(pick(here.stdout)).toEqual(pick(off.stdout));
  expect(r.stdout()).toBe(`${pick(off.stdout)[0]?.storePath}\n`);
  const verify = await sb.eka(["store", "verify"]);
  expect(verify.status, verify.stdout + verify.stderr).toBe(0);
}, 240_000);

it("EKA_DAEMON=auto starts the daemon on first use", async () => {
  await sb.eka(["daemon", "stop"]);
  expect(daemonPid(sb.socket)).toBeUndefined();
  const hello = helloRepo(path.join(sb.tmp, "hello-auto"));
  const r = await sb.eka(["build", hello, "--no-progress"], { EKA_DAEMON: "auto" });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toBe("");
  expect(r.stdout).toMatch(/-hello-1\.0\.0\n$/);
  expect((await status()).requests.done).toBe(1);
}, 120_000);

it("a store and cache directory deleted while the daemon runs are made again by the next build through it", async () => {
  const store = path.join(sb.tmp, "deleted-store");
  const cache = path.join(sb.tmp, "deleted-cache");
  const hello = helloRepo(path.join(sb.tmp, "hello-deleted"));
  const first = await sb.eka(["build", hello, "--no-progress"], { EKA_STORE: store, EKA_CACHE: cache });
  expect(first.status, first.stderr).toBe(0);
  expect(fs.existsSync(cache)).toBe(true);
  for (const d of [store, cache]) {
    spawnSync("chmod", ["-R", "u+w", d]);
    fs.rmSync(d, { recursive: true, force: true });
  }
  const done = (await status()).requests.done;
  const again = await sb.eka(["build", hello, "--no-progress"], { EKA_STORE: store, EKA_CACHE: cache });
  expect(again.status, again.stderr).toBe(0);
  expect(again.stdout).toBe(first.stdout);
  expect((await status()).requests.done).toBe(done + 1);
}, 120_000);
