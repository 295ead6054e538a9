// Ctrl-C in `eka build` (and in the build `eka run` needs), as a user meets it: the first one
// says "stopping…" at once, stops the compile that is running (its worker is terminated, not
// waited for), leaves no lock and no sandbox behind, and exits 130; the next build of the same
// store works.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, expect, it } from "vitest";
import { runEka } from "../helpers/spawn.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "eka-sigint-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const ROOT = path.join(import.meta.dirname, "../..");
const store = path.join(tmp, "store");
const env = { ...process.env, EKA_STORE: store, EKA_CACHE: path.join(tmp, "cache") };

/** An atom whose one C file takes clang several seconds at -O2 (generated: many small loops). */
function slowAtom(dir: string, functions: number): string {
  let c = "";
  for (let i = 0; i < functions; i++) {
    c += `static unsigned f${i}(unsigned x){for(unsigned j=0;j<${i + 3};j++){x=x*${2 * i + 1}u+(x>>${(i % 13) + 1})^${i}u;if(x%7==${i % 7})x+=j*${i};}return x;}\n`;
  }
  c += `int main(void){unsigned x=1;\n${Array.from({ length: functions }, (_, i) => `x=f${i}(x);`).join("\n")}\nreturn (int)(x&1);}\n`;
  fs.mkdirSync(path.join(dir, "src"), { recursive: true });
  fs.writeFileSync(path.join(dir, "src", "main.c"), c);
  fs.writeFileSync(path.join(dir, "atom.toml"), `[atom]\nid = "slow"\nversion = "0.1.0"\n\n[srcs.main]\npath = "src"\n\n[build]\nkind = "c"\ncflags = ["-O2"]\n\n[build.bin.slow]\nsources = ["main.c"]\n`);
  return dir;
}

/** Starts `eka build dir` (or `eka run`); once its compile step runs (plus `afterMs`), sends SIGINT `times` times. */
async function interrupt(dir: string, storeDir: string, times: number, afterMs: number, command = "build"): Promise<{ status: number | null; signal: string | null; stderr: string; sentAt: number; stoppedInMs: number }> {
  const child = spawn(process.execPath, [path.join(ROOT, "bin/eka.js"), command, dir], { env: { ...env, EKA_STORE: storeDir }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  let sentAt = 0;
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
    // The compile step has started: give clang a moment to be well inside it, then interrupt.
    if (!sentAt && /cc:slow\/main\.c/.test(stderr)) {
      sentAt = -1;
      setTimeout(() => {
        sentAt = Date.now();
        for (let i = 0; i < times; i++) setTimeout(() => child.kill("SIGINT"), i * 20);
      }, afterMs);
    }
  });
  const [status, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on("exit", (code, sig) => resolve([code, sig])));
  return { status, signal, stderr, sentAt, stoppedInMs: Date.now() - sentAt };
}

it("the first Ctrl-C stops a running compile at once, exits 130 and leaves no lock; a rebuild works", async () => {
  const dir = slowAtom(path.join(tmp, "slow"), 500);
  const { status, stderr, sentAt, stoppedInMs } = await interrupt(dir, store, 1, 1000);
  expect(sentAt, `the build never reached its compile step:\n${stderr}`).toBeGreaterThan(0);
  expect(stderr).toMatch(/eka: stopping…/);
  expect(stderr).toMatch(/eka: error\[E_ABORTED\]/);
  expect(stderr).not.toMatch(/internal error/);
  expect(status).toBe(130);
  // The compile alone takes several seconds; the worker running it was terminated instead.
  expect(stoppedInMs).toBeLessThan(3000);
  expect(fs.readdirSync(path.join(store, "locks")), "no build lock left").toEqual([]);
  expect(fs.existsSync(path.join(store, "lock")), "no store lock left").toBe(false);
  expect(fs.readdirSync(path.join(store, "builds")), "no sandbox left").toEqual([]);
  expect(spawnSync(process.execPath, [path.join(ROOT, "bin/eka.js"), "store", "ls"], { env, encoding: "utf8" }).stdout).not.toMatch(/-slow-/);

  const again = await runEka(path.join(ROOT, "bin/eka.js"), ["build", dir, "--no-progress"], { env });
  expect(again.stderr).toBe("");
  expect(again.status).toBe(0);
  expect(again.stdout).toMatch(/-slow-0\.1\.0\n$/);
  const verify = spawnSync(process.execPath, [path.join(ROOT, "bin/eka.js"), "store", "verify"], { env, encoding: "utf8" });
  expect(verify.status, verify.stdout + verify.stderr).toBe(0);
}, 120_000);

it("a second Ctrl-C quits at once; the store still verifies", async () => {
  const other = path.join(tmp, "store2");
  const r = await interrupt(slowAtom(path.join(tmp, "slow2"), 500), other, 2, 500);
  expect(r.sentAt, `the build never reached its compile step:\n${r.stderr}`).toBeGreaterThan(0);
  expect(r.stderr).toMatch(/eka: stopping…/);
  // 130 from eka, or (when the first had already stopped the build and eka was exiting) the
  // signal itself, which a shell reports as 130 too.
  expect(r.status === 130 || r.signal === "SIGINT", `status ${r.status}, signal ${r.signal}`).toBe(true);
  expect(r.stoppedInMs).toBeLessThan(3000);
  const verify = spawnSync(process.execPath, [path.join(ROOT, "bin/eka.js"), "store", "verify"], { env: { ...env, EKA_STORE: other }, encoding: "utf8" });
  expect(verify.status, verify.stdout + verify.stderr).toBe(0);
}, 120_000);

it("eka run: a Ctrl-C during the build it needs stops it the same way", async () => {
  const other = path.join(tmp, "store3");
  const r = await interrupt(slowAtom(path.join(tmp, "slow3"), 500), other, 1, 500, "run");
  expect(r.sentAt, `the build never reached its compile step:\n${r.stderr}`).toBeGreaterThan(0);
  expect(r.stderr).toMatch(/eka: stopping…/);
  expect(r.stderr).toMatch(/eka: error\[E_ABORTED\]/);
  expect(r.status).toBe(130);
  expect(r.stoppedInMs).toBeLessThan(3000);
  expect(fs.readdirSync(path.join(other, "locks")), "no build lock left").toEqual([]);
  expect(fs.existsSync(path.join(other, "lock")), "no store lock left").toBe(false);
}, 120_000);
