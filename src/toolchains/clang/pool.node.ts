/**
 * Node-only: the seed on the worker pool. `clangJob()` describes a pool job that runs the clang
 * driver emulation inside a worker (its jobs share that worker's in-memory temp directory), naming
 * this file by URL so the runtime's pool stays ignorant of toolchains; `sysrootMount()` describes
 * the unpacked sysroot (sysrootDir) as a mount for plain WASI jobs.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { EkaError } from "../../errors.ts";
import { deterministicOptions, type MountSpec, type PoolJob, type PoolResult, type ProgramContext } from "../../runtime/pool.node.ts";
import { compile } from "./host.ts";

export interface ClangJobOptions {
  /** The host directory of the unpacked sysroot (sysrootDir), mounted at /usr. */
  sysroot: string;
  driver?: "clang" | "clang++";
  mounts?: MountSpec[];
  env?: Record<string, string>;
  cwd?: string;
  stdin?: Uint8Array;
  timeoutMs?: number;
  deterministic?: PoolJob["deterministic"];
}

/** A pool job running `clang args…` (driver emulation) with the seed module `moduleKey`. */
export function clangJob(moduleKey: string, args: string[], opts: ClangJobOptions): PoolJob {
  return {
    module: moduleKey,
    program: { url: selfUrl(), exportName: opts.driver === "clang++" ? "runClangxxProgram" : "runClangProgram" },
    args,
    mounts: [...(opts.mounts ?? []), sysrootMount(opts.sysroot)],
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    ...(opts.stdin ? { stdin: opts.stdin } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.deterministic !== undefined ? { deterministic: opts.deterministic } : {}),
  };
}

/** The unpacked sysroot at `dir`, read-only, as a pool mount (for WASI jobs that run single seed tools). */
export function sysrootMount(dir: string, guest = "/usr"): MountSpec {
  return { guest, kind: "host", path: dir, readonly: true };
}

/** Pool program (runs in a worker): the clang driver. */
export function runClangProgram(ctx: ProgramContext): Promise<PoolResult> {
  return runDriver(ctx, "clang");
}

/** Pool program (runs in a worker): the clang++ driver. */
export function runClangxxProgram(ctx: ProgramContext): Promise<PoolResult> {
  return runDriver(ctx, "clang++");
}

async function runDriver({ module, job, mounts }: ProgramContext, driver: "clang" | "clang++"): Promise<PoolResult> {
  // clangJob mounted the sysroot at /usr; the driver's runner mounts it there itself.
  const usr = mounts.find((m) => m.guest === "/usr");
  if (!usr) throw new EkaError("E_WORKER", "a clang pool job needs the sysroot mounted at /usr (clangJob's sysroot)");
  const r = await compile(job.args, {
    module,
    sysroot: usr.fs,
    mounts: mounts.filter((m) => m !== usr),
    driver,
    ...(job.env ? { env: job.env } : {}),
    ...(job.cwd !== undefined ? { cwd: job.cwd } : {}),
    ...(job.stdin ? { stdin: job.stdin } : {}),
    ...(job.deterministic ? { deterministic: deterministicOptions(job.deterministic) } : {}),
  });
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}

/**
 * This file's TypeScript source, which workers import through tsx: the URL itself when running
 * from source, the copy under src/ when running from the esbuild bundle in dist/.
 */
function selfUrl(): string {
  const here = import.meta.url;
  if (here.endsWith(".ts")) return here;
  const source = new URL("../src/toolchains/clang/pool.node.ts", here);
  if (!existsSync(fileURLToPath(source))) throw new EkaError("E_WORKER", `cannot find ${fileURLToPath(source)} for the worker pool; reinstall eka`);
  return source.href;
}
