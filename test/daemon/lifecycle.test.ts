// `eka daemon start|stop|status` as a user meets them: one daemon per user however many starts,
// a status naming what it holds, a stop that waits, a socket left by `kill -9` noticed and
// removed, and a peer speaking another protocol refused on both sides.
import { createConnection, createServer } from "node:net";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, expect, it } from "vitest";
import { alive, daemonPid, helloRepo, sandbox, until } from "./helpers.ts";

const sb = sandbox("life");
afterAll(() => sb.cleanup());

it("start runs one daemon however often it is asked; status shows it; stop waits for it to exit", async () => {
  const none = await sb.eka(["daemon", "status"]);
  expect(none.status).toBe(1);
  expect(none.stderr).toMatch(/error\[E_DAEMON_NOT_RUNNING\]: no eka daemon is running/);

  // Two starts at once: the pid file lets only one daemon serve.
  const [a, b] = await Promise.all([sb.spawnEka(["daemon", "start", "--json"]), sb.spawnEka(["daemon", "start", "--json"])].map(async (r) => ({ r, e: await r.exited })));
  expect(a?.e.status, a?.r.stderr()).toBe(0);
  expect(b?.e.status, b?.r.stderr()).toBe(0);
  const pa = JSON.parse(a?.r.stdout() ?? "") as { pid: number; socket: string };
  const pb = JSON.parse(b?.r.stdout() ?? "") as { pid: number };
  expect(pa.pid).toBe(pb.pid);
  expect(pa.socket).toBe(sb.socket);
  expect(daemonPid(sb.socket)).toBe(pa.pid);

  const again = await sb.eka(["daemon", "start"]);
  expect(again.stdout).toBe(`eka daemon already running: pid ${pa.pid}, ${sb.socket}\n`);

  const st = await sb.eka(["daemon", "status", "--json"]);
  expect(st.status, st.stderr).toBe(0);
  const s = JSON.parse(st.stdout) as Record<string, unknown>;
  expect(s).toMatchObject({ pid: pa.pid, protocol: 1, eka: "0.1.0", requests: { running: 0, done: 0 }, clients: 1 });
  expect(s.v8Flags).not.toContain("--liftoff-only");
  expect(Object.keys(s)).toEqual(expect.arrayContaining(["uptimeMs", "workers", "modulesCompiled", "memory"]));
  const text = (await sb.eka(["daemon", "status"])).stdout;
  for (const label of ["pid", "uptime", "version", "workers", "requests", "modules", "memory", "clients"]) expect(text).toMatch(new RegExp(`^${label} `, "m"));

  const stop = await sb.eka(["daemon", "stop"]);
  expect(stop.stdout).toBe("eka daemon stopped\n");
  expect(alive(pa.pid)).toBe(false);
  expect(fs.existsSync(sb.socket)).toBe(false);
  expect((await sb.eka(["daemon", "stop"])).stdout).toBe("eka daemon is not running\n");
}, 60_000);

it("a daemon killed with -9 leaves a socket that status notices and removes; start then works", async () => {
  const first = JSON.parse((await sb.eka(["daemon", "start", "--json"])).stdout) as { pid: number };
  process.kill(first.pid, "SIGKILL");
  await until(() => !alive(first.pid), 5000, "the daemon to die");
  expect(fs.existsSync(sb.socket)).toBe(true);
  // A build meanwhile does not hang on the dead socket: it runs in-process.
  const dir = helloRepo(path.join(sb.tmp, "hello-stale"));
  const b = await sb.eka(["build", dir, "--no-progress"]);
  expect(b.status, b.stderr).toBe(0);
  expect(b.stderr).toBe("");

  const st = await sb.eka(["daemon", "status"]);
  expect(st.status).toBe(1);
  expect(st.stderr).toMatch(/E_DAEMON_NOT_RUNNING/);
  expect(fs.existsSync(sb.socket)).toBe(false);
  const second = JSON.parse((await sb.eka(["daemon", "start", "--json"])).stdout) as { pid: number; started: boolean };
  expect(second.started).toBe(true);
  expect(second.pid).not.toBe(first.pid);
  await sb.eka(["daemon", "stop"]);
}, 120_000);

it("the daemon refuses a client of another protocol version, naming both versions", async () => {
  await sb.eka(["daemon", "start"]);
  const sock = createConnection(sb.socket);
  let got = "";
  sock.on("data", (d) => (got += d.toString()));
  await new Promise((r) => sock.on("connect", r));
  sock.write(JSON.stringify({ t: "hello", protocol: 999, eka: "9.9.9", build: "x" }) + "\n");
  await new Promise((r) => sock.on("close", r));
  const reply = JSON.parse(got.trim()) as { t: string; reason: string };
  expect(reply.t).toBe("refused");
  expect(reply.reason).toMatch(/the client speaks protocol 999 \(eka 9\.9\.9\), the daemon protocol 1 \(eka 0\.1\.0\)/);
  // The daemon carries on.
  expect((await sb.eka(["daemon", "status"])).status).toBe(0);
  await sb.eka(["daemon", "stop"]);
});

it("a client refuses a daemon of another protocol version: one warning line, then the build in-process", async () => {
  fs.mkdirSync(path.dirname(sb.socket), { recursive: true });
  const fake = createServer((c) => {
    c.on("data", () => c.write(JSON.stringify({ t: "hello", protocol: 7, eka: "0.0.7", build: "x", pid: 1 }) + "\n"));
    c.on("error", () => {});
  });
  await new Promise<void>((r) => fake.listen(sb.socket, r));
  try {
    const dir = helloRepo(path.join(sb.tmp, "hello-fake"));
    const r = sb.spawnEka(["build", dir, "--no-progress"]);
    const { status } = await r.exited;
    expect(status, r.stderr()).toBe(0);
    expect(r.stderr().split("\n").filter(Boolean)).toEqual([expect.stringMatching(/^eka: warning: .*the daemon speaks protocol 7 \(eka 0\.0\.7\), the client protocol 1 \(eka 0\.1\.0\).*; running in-process$/)]);
    expect(r.stdout()).toMatch(/^\/nix\/store\/[a-z0-9]{32}-hello-1\.0\.0\n$/);
  } finally {
    fake.close();
  }
}, 60_000);
