// Node-only, bench only: timing whole processes, shared by the benches that measure them.
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export const REPO = join(import.meta.dirname, "..");

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** Wall ms of `node ARGS` in `cwd` (default the repository); throws with its stderr if it fails. */
export function spawnMs(args: string[], env: NodeJS.ProcessEnv, cwd = REPO): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { env, cwd, encoding: "utf8" });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return ms;
}

/** Median ms of each command, in `n` interleaved rounds so load on the machine hits all alike. */
export function timeSpawns(cmds: { args: string[]; env: NodeJS.ProcessEnv; cwd?: string }[], n: number, before?: (round: number) => void): number[] {
  const ms = cmds.map(() => [] as number[]);
  for (let i = 0; i < n; i++) {
    cmds.forEach((c, k) => {
      before?.(i * cmds.length + k);
      ms[k]?.push(spawnMs(c.args, c.env, c.cwd));
    });
  }
  return ms.map(median);
}

/** Whether a bench's part `name` runs: EKA_BENCH_PARTS=a,b runs only those (default: every part). */
export function benchPart(name: string): boolean {
  const parts = process.env.EKA_BENCH_PARTS?.split(",").map((p) => p.trim()).filter(Boolean);
  return !parts?.length || parts.includes(name);
}
