/**
 * Clang driver emulation. WASI has no process spawning, so the seed's clang driver cannot start
 * its own jobs: eka asks it what it would run (`clang -### …`), parses the printed job lines, and
 * runs each job with the same multi-call module (argv[0] picks the tool).
 */
import { concatBytes } from "../../util/bytes.ts";
import type { ToolResult, ToolRunner } from "../hooks.ts";

/**
 * A ToolRunner runs one tool of the seed module with a fixed set of mounts, its output captured.
 * One runner serves every job of a driver invocation, so its guest temp directory must persist
 * from job to job (cc1 writes the object file the link job reads).
 */
export type { ToolResult, ToolRunner };

export interface DriverOptions {
  /** "clang" (default) or "clang++". */
  driver?: "clang" | "clang++";
  /**
   * Called with each chunk of output as soon as the job producing it ends. Without them the
   * output is collected into the result.
   */
  stdout?: (chunk: Uint8Array) => void;
  stderr?: (chunk: Uint8Array) => void;
  /**
   * Runs a job alongside others (a worker pool). With it, the compile jobs of several sources
   * (`clang -c a.c b.c …`, each its own cc1 job, none reading another's output) run at once; their
   * output is still reported in the driver's order, and the jobs after them (the link) run in turn.
   * Its jobs must see the same files as `run`'s, the temp directory included.
   */
  concurrent?: ToolRunner;
}

export interface DriverResult extends ToolResult {
  /** The jobs that ran, argv[0] first (empty when clang ran directly, e.g. `--version`). */
  jobs: string[][];
}

/**
 * Target features eka turns off in every compile job unless the user picks their own CPU or
 * features: Node 20 (V8 11.3) cannot load modules that use them. See docs/ARCHITECTURE.md.
 */
export const DISABLED_TARGET_FEATURES: readonly string[] = ["extended-const"];

/**
 * Asks `clang -###` for the jobs it would run for `args`. Returns the jobs with eka's default target
 * features applied, or the driver's failure (its diagnostics in `stderr`).
 */
export async function clangJobs(
  args: string[],
  run: ToolRunner,
  driver: "clang" | "clang++" = "clang",
): Promise<{ exitCode: number; jobs: string[][]; stderr: string }> {
  const r = await run([driver, "-###", ...args]);
  const text = decoder.decode(r.stderr);
  const verbose = args.includes("-v");
  const jobs: string[][] = [];
  const rest: string[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith(' "')) {
      jobs.push(parseJobLine(line));
      // `clang -v` shows each job before running it; -### printed them in the same form.
      if (verbose) rest.push(line);
    } else if (line !== "" && (verbose || !isBanner(line))) rest.push(line);
  }
  const userPicksFeatures = args.some((a) => a.startsWith("-mcpu=") || a.startsWith("-march=") || /^-m(no-)?extended-const$/.test(a));
  const userPicksExceptions = args.some((a) => /^-f(no-)?(cxx-|wasm-)?exceptions$/.test(a));
  const applied = jobs.map((j) => withEkaDefaults(j, { features: !userPicksFeatures, noExceptions: !userPicksExceptions }));
  return { exitCode: r.exitCode, jobs: applied, stderr: rest.length ? rest.join("\n") + "\n" : "" };
}

/**
 * Runs `clang args…` as the real driver would: every job in turn, skipping those that need a failed
 * job's output. Clang's diagnostics and exit status come through unchanged.
 */
export async function runClang(args: string[], run: ToolRunner, opts: DriverOptions = {}): Promise<DriverResult> {
  const driver = opts.driver ?? "clang";
  const out = new Collector(opts.stdout);
  const err = new Collector(opts.stderr);
  // `-###` is the user's own question; the driver answers it without spawning.
  if (args.includes("-###")) {
    const r = await run([driver, ...args]);
    out.push(r.stdout);
    err.push(r.stderr);
    return { exitCode: r.exitCode, stdout: out.bytes(), stderr: err.bytes(), jobs: [] };
  }
  const plan = await clangJobs(args, run, driver);
  if (plan.exitCode !== 0 || plan.jobs.length === 0) {
    if (plan.exitCode !== 0) {
      err.push(encoder.encode(plan.stderr));
      return { exitCode: plan.exitCode, stdout: out.bytes(), stderr: err.bytes(), jobs: [] };
    }
    // No jobs: an informational invocation (--version, --help, -print-*, -dumpmachine) that
    // clang answers itself.
    const r = await run([driver, ...args]);
    out.push(r.stdout);
    err.push(r.stderr);
    return { exitCode: r.exitCode, stdout: out.bytes(), stderr: err.bytes(), jobs: [] };
  }
  err.push(encoder.encode(plan.stderr));
  if (plan.jobs.some((j) => j.some((a, i) => a === "" && j[i - 1] === "-o"))) {
    // clang names temp files "" when its temp directory is missing.
    err.push(encoder.encode(`eka: clang found no temp directory: mount a writable directory at /tmp (or set TMPDIR to one) for the driver's temp files\n`));
    return { exitCode: 1, stdout: out.bytes(), stderr: err.bytes(), jobs: [] };
  }
  // Like clang's driver, a failed job skips only the jobs that consume its output (the link), so
  // `clang -c a.c b.c` still reports b.c's diagnostics when a.c fails.
  const ran: string[][] = [];
  const failedOutputs = new Set<string>();
  let exitCode = 0;
  const isCompile = (j: string[]) => j[1] === "-cc1" || j[1] === "-cc1as";
  const leading = plan.jobs.findIndex((j) => !isCompile(j));
  const compiles = leading < 0 ? plan.jobs.length : leading;
  // Started together, awaited in order: output stays in the driver's order.
  const early = opts.concurrent && compiles >= 2 ? plan.jobs.slice(0, compiles).map((j) => (opts.concurrent as ToolRunner)(j)) : [];
  // One not awaited (after a failure stops the loop) must not become an unhandled rejection.
  for (const p of early) p.catch(() => {});
  for (const [i, job] of plan.jobs.entries()) {
    if (job.some((a) => failedOutputs.has(a))) continue;
    ran.push(job);
    const r = await (early[i] ?? run(job));
    out.push(r.stdout);
    err.push(r.stderr);
    if (r.exitCode !== 0) {
      if (exitCode === 0) exitCode = r.exitCode;
      const o = job[job.indexOf("-o") + 1];
      if (o !== undefined && job.includes("-o")) failedOutputs.add(o);
      else break;
    }
  }
  return { exitCode, stdout: out.bytes(), stderr: err.bytes(), jobs: ran };
}

/**
 * Parses one job line printed by `clang -###`: double-quoted arguments separated by spaces, with
 * `"`, `\` and `$` escaped by a backslash. A leading empty argument stands for the driver's own
 * executable (in-process cc1); it is dropped so argv[0] names the tool.
 */
export function parseJobLine(line: string): string[] {
  const argv: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(line); m; m = re.exec(line)) argv.push((m[1] ?? "").replace(/\\(.)/g, "$1"));
  if (argv[0] === "") argv.shift();
  // In-process cc1 jobs name the driver; the multi-call binary wants "clang" for `-cc1`.
  if (argv[1] === "-cc1" || argv[1] === "-cc1as") argv[0] = "clang";
  return argv;
}

/**
 * eka's defaults for a cc1 job (other jobs are unchanged): `-target-feature -X` for each disabled
 * feature, and C++ without exceptions — the sysroot's libc++abi is built without them (no
 * `__cxa_throw`), yet clang++ turns them on, so any `throw` would fail at link time instead of
 * being reported at its line, as wasi-sdk's clang does.
 */
function withEkaDefaults(job: string[], opts: { features: boolean; noExceptions: boolean }): string[] {
  if (job[1] !== "-cc1") return job;
  let out = job;
  if (opts.noExceptions) out = out.filter((a) => a !== "-fcxx-exceptions" && a !== "-fexceptions");
  // Appended so they win over any feature clang's own defaults add earlier on the line.
  if (opts.features) out = [...out, ...DISABLED_TARGET_FEATURES.flatMap((f) => ["-target-feature", `-${f}`])];
  return out;
}

const BANNER = [
  /^clang version /,
  /^Target: /,
  /^Thread model: /,
  /^InstalledDir: /,
  /^Build config: /,
  /^ \(in-process\)$/,
  /^(System |User )?[Cc]onfiguration file/,
  /^Selected multilib/,
  /^Candidate multilib/,
];

function isBanner(line: string): boolean {
  return BANNER.some((re) => re.test(line));
}

class Collector {
  private chunks: Uint8Array[] = [];
  constructor(private readonly sink?: (b: Uint8Array) => void) {}
  push(b: Uint8Array): void {
    if (b.length === 0) return;
    if (this.sink) this.sink(b);
    else this.chunks.push(b);
  }
  bytes(): Uint8Array {
    return concatBytes(this.chunks);
  }
}


const decoder = new TextDecoder();
const encoder = new TextEncoder();
