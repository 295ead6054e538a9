// util/host.node.ts with real processes and a real directory: the one liveness rule, atomic
// writes, lock files (waiting, stale takeover, abort) and the cache directory.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { threadId } from "node:worker_threads";
import { afterAll, describe, expect, it } from "vitest";
import { atomicWrite, cacheDir, isAlive, lock, lockSync, tryLock } from "../../src/util/host.node.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "eka-util-host-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The pid of a process that has exited. */
const deadPid = () => Number(spawnSync(process.execPath, ["-e", "console.log(process.pid)"], { encoding: "utf8" }).stdout.trim());

describe("isAlive", () => {
  it("is true for this process and a running one, false for an exited one and for pids that name groups", () => {
    expect(isAlive(process.pid)).toBe(true);
    // pid 1 exists everywhere; unprivileged, kill(1, 0) is EPERM, which still means alive.
    expect(isAlive(1)).toBe(true);
    expect(isAlive(deadPid())).toBe(false);
    for (const p of [0, -1, Number.NaN, 1.5]) expect(isAlive(p), String(p)).toBe(false);
  });
});

describe("cacheDir", () => {
  it("is $EKA_CACHE (made absolute), else $XDG_CACHE_HOME/eka, else ~/.cache/eka", () => {
    expect(cacheDir({ EKA_CACHE: "rel/cache", XDG_CACHE_HOME: "/x" })).toBe(path.resolve("rel/cache"));
    expect(cacheDir({ XDG_CACHE_HOME: "/x" })).toBe("/x/eka");
    expect(cacheDir({})).toBe(path.join(os.homedir(), ".cache", "eka"));
  });
});

describe("atomicWrite", () => {
  it("replaces the file whole and leaves no temp file, also when the write fails", () => {
    const dir = path.join(tmp, "atomic");
    fs.mkdirSync(dir);
    const file = path.join(dir, "f");
    atomicWrite(file, "one");
    atomicWrite(file, new TextEncoder().encode("two"), { mode: 0o600 });
    expect(fs.readFileSync(file, "utf8")).toBe("two");
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    // What the host refuses is the coded error naming the path it refused.
    const missing = path.join(dir, "missing", "t");
    expect(() => atomicWrite(file, "x", { tmp: missing })).toThrow(`${missing} does not exist`);
    expect(() => atomicWrite(file, "x", { tmp: missing })).toThrow(expect.objectContaining({ code: "E_NOT_FOUND" }));
    fs.mkdirSync(path.join(dir, "sub"));
    expect(() => atomicWrite(path.join(dir, "sub"), "x")).toThrow();
    expect(fs.readdirSync(dir).sort()).toEqual(["f", "sub"]);
  });
});

describe("lock files", () => {
  it("holds '<pid> <thread>'; a second taker in this thread waits; release removes only its own lock", () => {
    const file = path.join(tmp, "own.lock");
    const release = tryLock(file);
    expect(release).not.toBeNull();
    expect(fs.readFileSync(file, "utf8")).toBe(`${process.pid} ${threadId}`);
    expect(tryLock(file)).toBeNull();
    release?.();
    expect(fs.existsSync(file)).toBe(false);
    const again = tryLock(file);
    fs.writeFileSync(file, "12345 0");
    again?.();
    expect(fs.readFileSync(file, "utf8")).toBe("12345 0");
  });

  it("takes over a lock whose owner is gone (either format), an own lock no one holds, and an old empty one", () => {
    const file = path.join(tmp, "stale.lock");
    for (const content of [`${deadPid()}`, `${deadPid()} 3`, `${process.pid} ${threadId}`, "garbage"]) {
      fs.writeFileSync(file, content);
      const release = tryLock(file);
      expect(release, content).not.toBeNull();
      expect(fs.readFileSync(file, "utf8")).toBe(`${process.pid} ${threadId}`);
      release?.();
    }
    fs.writeFileSync(file, "");
    expect(tryLock(file), "an empty lock may be a writer between create and write").toBeNull();
    const old = new Date(Date.now() - 10_000);
    fs.utimesSync(file, old, old);
    const release = tryLock(file);
    expect(release).not.toBeNull();
    release?.();
    expect(fs.readdirSync(tmp).filter((n) => n.startsWith("stale.lock"))).toEqual([]);
  });

  it("waits for a live holder in another process, synchronously or not, and stops waiting when aborted", async () => {
    const file = path.join(tmp, "live.lock");
    const holder = spawn(process.execPath, ["-e", `const fs=require("fs");fs.writeFileSync(${JSON.stringify(file)},process.pid+" 0",{flag:"wx"});console.log("held");setTimeout(()=>{fs.rmSync(${JSON.stringify(file)});process.exit(0)},600)`], { stdio: ["ignore", "pipe", "inherit"] });
    const exited = new Promise((r) => holder.once("exit", r));
    await new Promise<void>((resolve) => holder.stdout?.once("data", () => resolve()));
    const ac = new AbortController();
    let waits = 0;
    const aborted = lock(file, { onWait: () => waits++, signal: ac.signal, onAbort: () => new Error("gave up") });
    setTimeout(() => ac.abort(), 100);
    await expect(aborted).rejects.toThrow("gave up");
    expect(waits).toBe(1);
    expect(() => lockSync(file, { timeoutMs: 50, onTimeout: (h) => new Error(`held by ${h}`) })).toThrow(`held by ${holder.pid} 0`);
    const started = Date.now();
    const release = await lock(file, { onAbort: () => new Error("unreachable") });
    expect(Date.now() - started).toBeGreaterThan(200);
    release();
    await exited;
  });
});
