// kill -9 of `eka build` and of `eka store gc` at random points, round after round (bounded in
// count and time): the store always verifies with its contents re-hashed, and in the end builds
// the same bytes (the same cid) as a store nobody disturbed.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, expect, it } from "vitest";
import { makeResultLink } from "../../src/store/gc.node.ts";
import { openStore, verifyStore } from "../../src/store/index.node.ts";
import { runEka } from "../helpers/spawn.ts";

const ROOT = path.join(import.meta.dirname, "../..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "eka-fault-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const ROUNDS = 8;
/** Rounds stop starting past this, whatever the count (a loaded machine builds slower). */
const BUDGET_MS = 40_000;
/** Rounds before this one start without the seed in the store. */
const SEEDED_FROM = 2;

const envFor = (store: string) => ({ ...process.env, EKA_STORE: store, EKA_CACHE: path.join(tmp, "cache") });
const eka = (store: string, args: string[]) => runEka(path.join(ROOT, "bin/eka.js"), args, { env: envFor(store) });

/** Runs `eka args…` and sends it SIGKILL after `ms` (if it is still running); how it ended. */
function killAfter(store: string, args: string[], ms: number): Promise<string> {
  const child = spawn(process.execPath, [path.join(ROOT, "bin/eka.js"), ...args], { env: envFor(store), stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), ms);
  return new Promise((resolve) =>
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve(signal === "SIGKILL" ? `killed after ${ms} ms` : `exited ${code}${code ? `: ${stderr.trim()}` : ""}`);
    }),
  );
}

async function expectVerifies(store: string, what: string, checkContents: boolean): Promise<void> {
  const s = await openStore(store);
  try {
    expect(verifyStore(s, { checkContents }).problems, what).toEqual([]);
  } finally {
    s.close();
  }
}

it("kill -9 of build and gc at random points leaves a store that verifies and builds the same bytes", async () => {
  const atom = path.join(tmp, "hello");
  fs.cpSync(path.join(ROOT, "examples/hello"), atom, { recursive: true });
  const quiet = (r: Awaited<ReturnType<typeof eka>>) => expect(r.status, r.stderr).toBe(0);

  // The undisturbed store: its cid is what every build must give.
  const clean = path.join(tmp, "clean");
  const ref = await eka(clean, ["build", atom, "--json", "--no-progress"]);
  quiet(ref);
  const cid = (JSON.parse(ref.stdout) as { results: { cid: string }[] }).results[0]?.cid;
  const seed = (await eka(clean, ["store", "ls"])).stdout.split("\n").find((p) => p.includes("-llvm-seed-")) as string;
  expect(seed).toBeTruthy();

  const store = path.join(tmp, "disturbed");
  const log: string[] = [];
  const t0 = Date.now();
  for (let round = 0; round < ROUNDS && Date.now() - t0 < BUDGET_MS; round++) {
    // The first rounds start from an empty store, so a kill lands anywhere from the seed's import
    // to the output's; then the seed is imported whole and kept by a gc root, so kills land
    // inside compiles and gc finds finished outputs to delete.
    const seeded = round >= SEEDED_FROM;
    if (round === SEEDED_FROM) {
      quiet(await eka(store, ["build", atom, "--no-progress"]));
      const s = await openStore(store);
      makeResultLink(s, seed, path.join(tmp, "seed-root"));
      s.close();
    }
    const build = await killAfter(store, ["build", atom, "--no-progress"], Math.round(Math.random() * (seeded ? 1500 : 5000)));
    await expectVerifies(store, `round ${round}: after build ${build}`, false);
    const gc = await killAfter(store, ["store", "gc"], 80 + Math.round(Math.random() * 400));
    log.push(`round ${round}: build ${build}; gc ${gc}`);
    await expectVerifies(store, log.join("\n"), true);
  }
  expect(log.length, "rounds run").toBeGreaterThan(SEEDED_FROM);

  const after = await eka(store, ["build", atom, "--json", "--no-progress"]);
  quiet(after);
  expect((JSON.parse(after.stdout) as { results: { cid: string }[] }).results[0]?.cid, log.join("\n")).toBe(cid);
  const verify = await eka(store, ["store", "verify", "--check-contents"]);
  expect(verify.status, verify.stdout + verify.stderr).toBe(0);
  // What the killed processes left in tmp/ is garbage that gc collects.
  quiet(await eka(store, ["store", "gc"]));
  expect(fs.readdirSync(path.join(store, "tmp"))).toEqual([]);
}, 120_000);
