/**
 * Compile steps of one package differ only in their source and object file, so the driver's job
 * list (`clang -###`, 14–90 ms, 5–25% of a small compile) is expanded once per flag set and reused
 * with the paths substituted. Only the shape cbuild emits (`… -c SRC -o OBJ`) qualifies; anything
 * else, a driver warning, or a job argument derived from the file names goes through the driver.
 */
import { concatBytes } from "../../util/bytes.ts";
import type { ToolResult, ToolRunner } from "../hooks.ts";
import { clangJobs } from "./driver.ts";

const SRC = "\0src";
const OBJ = "\0obj";
const MAIN = "\0main";
const driverPlans = new Map<string, Promise<string[][] | null>>();

/** Switch for tests and the bench, which compare against the plain driver. */
export const driverTemplates = { enabled: true };

/**
 * Runs `driver args…` from a cached job list when the step has the compile shape; null when it
 * does not (or the driver's plan can't be reused), and the caller runs the driver instead.
 * `context` keys the cache beside the flags: the module, cwd and env the jobs depend on.
 */
export async function runCompileFromTemplate(context: string, driver: "clang" | "clang++", args: string[], run: ToolRunner): Promise<ToolResult | null> {
  const n = args.length;
  const src = args[n - 3];
  const obj = args[n - 1];
  if (!driverTemplates.enabled || n < 4 || args[n - 4] !== "-c" || args[n - 2] !== "-o" || !src || !obj || !/\.(c|cc|cpp|cxx|m|s|S)$/.test(src)) return null;
  const ext = src.slice(src.lastIndexOf("."));
  const key = JSON.stringify([context, driver, ...args.slice(0, n - 3), ext]);
  const base = src.slice(src.lastIndexOf("/") + 1);
  let plan = driverPlans.get(key);
  if (!plan) {
    plan = clangJobs(args, run, driver).then((r) => {
      if (r.exitCode !== 0 || r.jobs.length === 0 || r.stderr !== "") return null;
      const jobs = r.jobs.map((job) => job.map((a, i) => (a === src ? SRC : a === obj ? OBJ : job[i - 1] === "-main-file-name" && a === base ? MAIN : a)));
      // A path derived from the file names elsewhere (a depfile, coverage notes) can't be reused.
      const stems = [src.replace(/\.[^./]+$/, ""), obj.replace(/\.[^./]+$/, "")];
      return jobs.some((job) => job.some((a) => stems.some((st) => a.includes(st)))) ? null : jobs;
    });
    driverPlans.set(key, plan);
    // The first step of a flag set has just run the driver; it runs its jobs below like the rest.
  }
  // A plan that failed (its step was aborted: Ctrl-C, or a daemon client gone) is another build's
  // failure, not this one's: this step runs the driver itself, and the next one plans again.
  const jobs = await plan.catch(() => null);
  if (!jobs) {
    driverPlans.delete(key);
    return null;
  }
  const out: Uint8Array[] = [];
  const err: Uint8Array[] = [];
  for (const job of jobs) {
    const r = await run(job.map((a) => (a === SRC ? src : a === OBJ ? obj : a === MAIN ? base : a)));
    out.push(r.stdout);
    err.push(r.stderr);
    if (r.exitCode !== 0) return { exitCode: r.exitCode, stdout: concatBytes(out), stderr: concatBytes(err) };
  }
  return { exitCode: 0, stdout: concatBytes(out), stderr: concatBytes(err) };
}
