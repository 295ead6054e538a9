// The fault test of temp roots and gc: `eka build` and `eka store gc` run side by side and are
// killed with SIGKILL at random moments, round after round; the store must verify clean each
// time, and at the end build the same bytes as a store nobody disturbed.
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "eka-gc-fault-")));
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Ran {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function start(store: string, args: string[]): { child: ChildProcess; done: Promise<Ran> } {
  const env = { ...process.env, EKA_STORE: store, EKA_CACHE: path.join(tmp, "cache") };
  const child = spawn(process.execPath, ["bin/eka.js", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const done = new Promise<Ran>((resolve) => child.on("close", (status, signal) => resolve({ status, signal, stdout, stderr })));
  return { child, done };
}
const run = (store: string, args: string[]) => start(store, args).done;
const BUILD = ["build", "./examples/hello", "--frozen", "--json", "--no-progress"];
const built = (r: Ran) => {
  expect(r.status, r.stderr).toBe(0);
  const [res] = (JSON.parse(r.stdout) as { results: { storePath: string; cid: string }[] }).results;
  return res as { storePath: string; cid: string };
};
const verifyClean = async (store: string, what: string) => {
  const v = await run(store, ["store", "verify", "--check-contents"]);
  expect(v.stderr, what).toBe("");
  expect(v.status, what).toBe(0);
};

describe("gc and builds under SIGKILL", () => {
  it("kill -9 of `eka build` and of `eka store gc` at random points: the store verifies after every round and builds the same bytes", async () => {
    const want = built(await run(path.join(tmp, "undisturbed"), BUILD));
    const store = path.join(tmp, "store");
    // The store exists before the first kill: a build killed before it made one would leave
    // nothing for a reader to verify (and a reader rightly refuses a missing store).
    fs.writeFileSync(path.join(tmp, "first.txt"), "first\n");
    expect((await run(store, ["store", "add", path.join(tmp, "first.txt")])).status).toBe(0);
    const deadline = Date.now() + 60_000;
    let kills = 0;
    for (let round = 0; round < 5 && Date.now() < deadline; round++) {
      const b = start(store, [...BUILD, "-o", path.join(tmp, `result-${round}`)]);
      let buildOver = false;
      void b.done.then(() => (buildOver = true));
      let gc: ReturnType<typeof start> | undefined;
      const loop = (async () => {
        while (!buildOver) await (gc = start(store, ["store", "gc"])).done;
      })();
      // Kill the build, the running gc, or both, somewhere in the build's first three seconds.
      await new Promise((r) => setTimeout(r, 200 + Math.random() * 2800));
      const victim = round % 3;
      if (victim !== 1 && !buildOver) (b.child.kill("SIGKILL"), kills++);
      if (victim !== 0 && gc && gc.child.exitCode === null) (gc.child.kill("SIGKILL"), kills++);
      const r = await b.done;
      buildOver = true;
      await loop;
      // A build that was not killed must have succeeded, whatever the gc beside it did.
      if (r.signal !== "SIGKILL") built(r);
      await verifyClean(store, `round ${round}`);
    }
    expect(kills).toBeGreaterThan(0);
    // Without its result links the output goes, so the last build makes it again, from what the
    // rounds left behind.
    for (const n of fs.readdirSync(tmp)) if (n.startsWith("result-")) fs.rmSync(path.join(tmp, n));
    expect((await run(store, ["store", "gc"])).status).toBe(0);
    const got = built(await run(store, BUILD));
    expect({ storePath: got.storePath, cid: got.cid }).toEqual({ storePath: want.storePath, cid: want.cid });
    await verifyClean(store, "after the last build");
  }, 240_000);
});
