// kill -9 at random moments, with two writers at once: the store must always verify clean.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openStore, verifyStore } from "../../src/store/index.node.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "eka-store-crash-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function startChild(store: string, seed: string): { child: ChildProcess; progressed: Promise<number> } {
  const child = spawn(process.execPath, ["--import", "tsx", "test/store/crash-child.ts", store, seed], { stdio: ["ignore", "pipe", "pipe"] });
  let lines = 0;
  let err = "";
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const progressed = new Promise<number>((resolve, reject) => {
    child.stdout?.on("data", (d: Buffer) => {
      lines += d.toString().split("\n").length - 1;
      if (lines >= 2) resolve(lines);
    });
    child.on("exit", (code, signal) => (signal === "SIGKILL" ? resolve(lines) : reject(new Error(`child ${seed} exited ${code}: ${err}`))));
  });
  return { child, progressed };
}

const killed = (c: ChildProcess) => new Promise<void>((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve() : c.on("exit", () => resolve())));

describe("store crash safety", () => {
  it("two writers killed with SIGKILL at random points leave a store that verifies clean", async () => {
    const store = path.join(tmp, "store");
    let registered = 0;
    for (let round = 0; round < 4; round++) {
      const a = startChild(store, `a${round}`);
      const b = startChild(store, `b${round}`);
      await Promise.all([a.progressed, b.progressed]);
      await new Promise((r) => setTimeout(r, Math.random() * 300));
      a.child.kill("SIGKILL");
      await new Promise((r) => setTimeout(r, Math.random() * 100));
      b.child.kill("SIGKILL");
      await Promise.all([killed(a.child), killed(b.child)]);
      const s = await openStore(store);
      const r = verifyStore(s, { checkContents: true });
      expect(r.problems, `round ${round}`).toEqual([]);
      registered = r.paths;
      s.close();
    }
    expect(registered).toBeGreaterThan(0);
    // The CLI agrees, and gc clears what the killed writers left in tmp/.
    const env = { ...process.env, EKA_STORE: store };
    expect(spawnSync(process.execPath, ["bin/eka.js", "store", "verify", "--check-contents"], { env, encoding: "utf8" }).status).toBe(0);
    expect(spawnSync(process.execPath, ["bin/eka.js", "store", "gc"], { env, encoding: "utf8" }).status).toBe(0);
    expect(fs.readdirSync(path.join(store, "tmp"))).toEqual([]);
    expect(spawnSync(process.execPath, ["bin/eka.js", "store", "verify", "--check-contents"], { env, encoding: "utf8" }).status).toBe(0);
  }, 120_000);
});
