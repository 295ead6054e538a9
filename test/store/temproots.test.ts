// GC never deletes what a running build uses: temp roots of live processes are kept, those of
// killed ones dropped, a root registered while a gc runs waits for it, leftovers in tmp/ are
// collected and counted; and a real `eka build` survives `eka store gc` looping beside it.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TempRoots } from "../../src/store/index.node.ts";

const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "eka-temproots-")));
afterAll(() => {
  spawnSync("chmod", ["-R", "u+w", tmp]);
  fs.rmSync(tmp, { recursive: true, force: true });
});
const eka = (store: string, args: string[]) => spawnSync(process.execPath, ["bin/eka.js", ...args], { env: { ...process.env, EKA_STORE: store, EKA_CACHE: path.join(tmp, "cache") }, encoding: "utf8" });
const gcJson = (store: string, args: string[] = []) => {
  const r = eka(store, ["store", "gc", "--json", ...args]);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { deadPaths: string[]; tempRoots: number; removedTempRoots: number; removedTemp: number; removedTempBytes: number; livePaths: number };
};
const verifyClean = (store: string) => {
  const v = eka(store, ["store", "verify", "--check-contents"]);
  expect(v.stderr).toBe("");
  expect(v.status).toBe(0);
};

/** A store holding one added file; returns its store path. */
function storeWithFile(store: string, text: string): string {
  const f = path.join(tmp, `${path.basename(store)}.txt`);
  fs.writeFileSync(f, text);
  const r = eka(store, ["store", "add", f]);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

function startChild(store: string, storePath: string): { child: ChildProcess; said: Promise<string>; out: () => string } {
  const child = spawn(process.execPath, ["--import", "tsx", "test/store/temproots-child.ts", store, storePath], { stdio: ["pipe", "pipe", "inherit"] });
  let out = "";
  const said = new Promise<string>((resolve, reject) => {
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (out.includes("\n")) resolve(out.split("\n")[0] as string);
    });
    child.on("exit", (code) => reject(new Error(`child exited ${code} before it spoke`)));
  });
  return { child, said, out: () => out };
}
const exited = (c: ChildProcess) => new Promise<number | null>((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve(c.exitCode) : c.on("exit", (code) => resolve(code))));

describe("temp roots", () => {
  it("a live process's temp root survives `eka store gc` between its lookup and its use; once it exits, gc collects the path", async () => {
    const store = path.join(tmp, "live");
    const p = storeWithFile(store, "in use\n");
    const c = startChild(store, p);
    expect(await c.said).toBe("rooted");
    expect(fs.readdirSync(path.join(store, "temproots"))).toHaveLength(1);
    const gc = gcJson(store);
    expect(gc.deadPaths).toEqual([]);
    expect(gc.tempRoots).toBe(1);
    expect(eka(store, ["store", "gc"]).stdout).toContain("1 of the live paths are in use by running builds or runs");
    c.child.stdin?.end("go\n");
    expect(await exited(c.child)).toBe(0);
    expect(c.out()).toBe("rooted\nin use\n");
    // It removed its file on exit, so nothing holds the path any more.
    expect(fs.readdirSync(path.join(store, "temproots"))).toEqual([]);
    expect(gcJson(store).deadPaths).toEqual([p]);
    verifyClean(store);
  }, 60_000);

  it("the temp roots of a process killed with SIGKILL keep nothing, and gc removes its file", async () => {
    const store = path.join(tmp, "killed");
    const p = storeWithFile(store, "orphan\n");
    const c = startChild(store, p);
    expect(await c.said).toBe("rooted");
    c.child.kill("SIGKILL");
    await exited(c.child);
    expect(fs.readdirSync(path.join(store, "temproots"))).toHaveLength(1);
    const dry = gcJson(store, ["--dry-run"]);
    expect(dry).toMatchObject({ deadPaths: [p], tempRoots: 0, removedTempRoots: 1 });
    expect(fs.readdirSync(path.join(store, "temproots"))).toHaveLength(1);
    const gc = gcJson(store);
    expect(gc).toMatchObject({ deadPaths: [p], tempRoots: 0, removedTempRoots: 1 });
    expect(fs.readdirSync(path.join(store, "temproots"))).toEqual([]);
    expect(eka(store, ["store", "ls"]).stdout).toBe("");
    verifyClean(store);
  }, 60_000);

  it("a root added while a collector holds gc.lock waits for it; a dead collector's lock does not hold it up", async () => {
    const store = path.join(tmp, "waits");
    const p = storeWithFile(store, "x\n");
    const lock = path.join(store, "gc.lock");
    const holder = spawn(process.execPath, ["-e", `const fs=require("fs");fs.writeFileSync(${JSON.stringify(lock)},process.pid+" 0",{flag:"wx"});console.log("held");setTimeout(()=>{fs.rmSync(${JSON.stringify(lock)});process.exit(0)},700)`], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve) => holder.stdout?.once("data", () => resolve()));
    const roots = new TempRoots(store);
    const started = Date.now();
    roots.add(p);
    expect(Date.now() - started).toBeGreaterThan(300);
    await exited(holder);
    roots.release();
    const gone = spawnSync(process.execPath, ["-e", "console.log(process.pid)"], { encoding: "utf8" }).stdout.trim();
    fs.writeFileSync(lock, `${gone} 0`);
    const again = new TempRoots(store);
    const t0 = Date.now();
    again.add(p);
    expect(Date.now() - t0).toBeLessThan(300);
    again.release();
    // A gc run takes the dead collector's lock over and leaves none behind.
    gcJson(store);
    expect(fs.existsSync(lock)).toBe(false);
  }, 60_000);

  it("gc removes and counts what stopped writers left in tmp/, keeps a live writer's, and --dry-run only counts", () => {
    const store = path.join(tmp, "leftovers");
    const p = storeWithFile(store, "kept\n");
    const gone = spawnSync(process.execPath, ["-e", "console.log(process.pid)"], { encoding: "utf8" }).stdout.trim();
    const t = path.join(store, "tmp");
    fs.writeFileSync(path.join(t, `${gone}-0-a1`), Buffer.alloc(1000, 1));
    fs.mkdirSync(path.join(t, `${gone}-0-a2-checkout`, "sub"), { recursive: true });
    fs.writeFileSync(path.join(t, `${gone}-0-a2-checkout`, "sub", "f"), Buffer.alloc(300, 2));
    fs.chmodSync(path.join(t, `${gone}-0-a2-checkout`, "sub"), 0o555);
    const live = path.join(t, `${process.pid}-0-writing`);
    fs.writeFileSync(live, "half");
    const dry = gcJson(store, ["--dry-run"]);
    expect(dry).toMatchObject({ removedTemp: 2, removedTempBytes: 1300 });
    expect(fs.readdirSync(t)).toHaveLength(3);
    const r = eka(store, ["store", "gc"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("removed 2 leftovers of stopped writers from tmp/ (1300 bytes)");
    expect(fs.readdirSync(t)).toEqual([path.basename(live)]);
    // The added path had no root and went; the store verifies clean.
    expect(r.stdout).toContain(`deleted ${p}`);
    verifyClean(store);
  }, 60_000);

  it("a real `eka build` keeps its inputs and output while `eka store gc` runs over and over in another process", async () => {
    const store = path.join(tmp, "build");
    const result = path.join(tmp, "result");
    const env = { ...process.env, EKA_STORE: store, EKA_CACHE: path.join(tmp, "cache") };
    const build = spawn(process.execPath, ["bin/eka.js", "build", "./examples/hello", "--frozen", "--no-progress", "-o", result], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    build.stdout?.setEncoding("utf8").on("data", (d: string) => (out += d));
    build.stderr?.setEncoding("utf8").on("data", (d: string) => (err += d));
    let running = true;
    const done = new Promise<number | null>((resolve) => build.on("exit", (code) => ((running = false), resolve(code))));
    const gcs: { during: boolean; tempRoots: number; deadPaths: string[] }[] = [];
    while (running) {
      const r = await new Promise<{ status: number | null; stdout: string }>((resolve) => {
        const g = spawn(process.execPath, ["bin/eka.js", "store", "gc", "--json"], { env, stdio: ["ignore", "pipe", "ignore"] });
        let s = "";
        g.stdout?.setEncoding("utf8").on("data", (d: string) => (s += d));
        g.on("exit", (status) => resolve({ status, stdout: s }));
      });
      // Before the build made the store, gc finds none (E_NO_STORE) and creates none.
      if (r.status !== 0) continue;
      const j = JSON.parse(r.stdout) as { tempRoots: number; deadPaths: string[] };
      gcs.push({ during: running, tempRoots: j.tempRoots, deadPaths: j.deadPaths });
    }
    expect(await done, err).toBe(0);
    const storePath = out.trim();
    expect(storePath).toMatch(/^\/nix\/store\/[0-9a-z]{32}-hello-1\.0\.0$/);
    const during = gcs.filter((g) => g.during && g.tempRoots > 0);
    expect(during.length, JSON.stringify(gcs)).toBeGreaterThan(0);
    for (const g of during) expect(g.deadPaths).toEqual([]);
    expect(fs.existsSync(path.join(result, "bin", "hello.wasm"))).toBe(true);
    verifyClean(store);
    expect(eka(store, ["run", "./examples/hello", "--frozen"]).stdout).toMatch(/hello/i);
  }, 180_000);
});
