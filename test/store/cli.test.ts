// `eka store` as a user meets it: help, usage errors, and the lock between two processes.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { acquireLock } from "../../src/store/backends/file.node.ts";
import { digestOf, makeStorePath, MemoryTree, openStore } from "../../src/store/index.node.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "eka-store-cli-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const eka = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ["bin/eka.js", "store", ...args], { env: { ...process.env, EKA_STORE: path.join(tmp, "store"), ...env }, encoding: "utf8" });

describe("eka store CLI", () => {
  it("has help for the command and every subcommand", () => {
    const top = eka(["--help"]);
    expect(top.status).toBe(0);
    const subs = [...(top.stdout.split("Options:")[0] as string).matchAll(/^ {2}([a-z-]+) /gm)].map((m) => m[1] as string);
    expect(subs).toEqual(expect.arrayContaining(["add", "ls", "path-info", "cat", "ls-tree", "dump", "restore", "verify", "gc", "export", "import", "keygen", "sign", "narinfo"]));
    for (const sub of subs) {
      const r = eka([sub, "--help"]);
      expect(r.status, sub).toBe(0);
      expect(r.stdout).toContain(`Usage: eka store [--store ADDRESS] ${sub}`);
    }
  });

  it("rejects unknown subcommands and options with exit 2 and a hint", () => {
    const r = eka(["verfiy"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown subcommand 'verfiy' \(did you mean 'verify'\?\)/);
    const o = eka(["gc", "--dryrun"]);
    expect(o.status).toBe(2);
    expect(o.stderr).toBe("eka store gc: unknown option '--dryrun' (did you mean '--dry-run'?)\nRun 'eka store gc --help' for usage.\n");
    expect(eka(["restore", path.join(tmp, "no/such/dir")]).stderr).toMatch(/E_NOT_FOUND.*does not exist/);
  });

  it("--store picks the store, before or after the subcommand, and EKA_STORE is the default", () => {
    const src = path.join(tmp, "f.txt");
    fs.writeFileSync(src, "x\n");
    const a = path.join(tmp, "a");
    const p = eka(["--store", a, "add", src]).stdout.trim();
    expect(eka(["ls", "--store", a]).stdout.trim()).toBe(p);
    expect(eka(["ls", "--store", `file://${a}`]).stdout.trim()).toBe(p);
    // EKA_STORE (tmp/store) is another store, which has nothing yet: a reader says so and makes none.
    const other = eka(["ls"]);
    expect(other.status).toBe(1);
    expect(other.stderr).toMatch(/E_NO_STORE.*given by EKA_STORE/);
    expect(fs.existsSync(path.join(tmp, "store"))).toBe(false);
    expect(eka(["ls"], { EKA_STORE: a }).stdout.trim()).toBe(p);
    expect(eka(["cat", p]).status).toBe(1);
    expect(eka(["cat", p, "--store", a]).stdout).toBe("x\n");
  });

  it("a second process waits for the lock and then writes; a dead holder's lock is taken over", async () => {
    const dir = path.join(tmp, "locked");
    const s = await openStore(dir);
    const lock = path.join(dir, "lock");
    // A child holds the lock for 700 ms.
    const holder = spawn(process.execPath, ["-e", `const fs=require("fs");fs.writeFileSync(${JSON.stringify(lock)},process.pid+" 0",{flag:"wx"});console.log("held");setTimeout(()=>{fs.rmSync(${JSON.stringify(lock)});process.exit(0)},700)`], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve) => holder.stdout?.once("data", () => resolve()));
    const t = new MemoryTree();
    t.directory("");
    const started = Date.now();
    s.ingest(t, "", { storePath: makeStorePath(digestOf(new Uint8Array(1)), "waited") });
    expect(Date.now() - started).toBeGreaterThan(300);
    await new Promise((r) => holder.on("exit", r));
    // A lock left by a process that no longer exists is stale.
    const gone = spawnSync(process.execPath, ["-e", "console.log(process.pid)"], { encoding: "utf8" }).stdout.trim();
    fs.writeFileSync(lock, `${gone} 0`);
    const release = acquireLock(lock, dir);
    expect(fs.readFileSync(lock, "utf8")).toBe(`${process.pid} 0`);
    release();
    expect(fs.existsSync(lock)).toBe(false);
    s.close();
  });
});
