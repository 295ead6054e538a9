// Node-only: what `eka cc`, `eka c++`, `eka ar` and `eka ld` share: the seed's tools on the host's
// current directory, like `zig cc`.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EkaError } from "../errors.ts";
import type { FileSystem } from "../runtime/index.ts";
import { NodeDirFS } from "../runtime/nodefs.node.ts";
import type { MountSpec } from "../runtime/pool.node.ts";
import { compile, runTool, type Mount, type SeedRunOptions } from "../toolchains/clang/host.ts";
import { planHostPaths } from "../toolchains/clang/hostpaths.ts";
import { seedFiles } from "../bootstrap/seed.node.ts";
import { seedModule, sysrootDir } from "../toolchains/clang/seed.node.ts";
import { parseCommand, type Command } from "./args.ts";

/** Guest directory for clang's temp files; not /tmp, so the host's /tmp stays reachable. */
const TMP_DIR = "/.eka-tmp";

/** One of the seed's tools as an eka command: `eka NAME` runs TOOL. */
export interface SeedTool {
  name: string;
  tool: string;
  /** The clang driver whose jobs eka runs itself; absent for the tools that are not drivers. */
  driver?: "clang" | "clang++";
  what: string;
  example: string;
}

export function seedToolCommand(k: SeedTool): Command {
  const help = `Usage: eka ${k.name} [--json] [--] ${k.tool.toUpperCase()}-ARGS…

${k.what}.
Runs in any directory: the current directory is what the tool sees as its working directory,
relative and absolute host paths both work (absolute ones through their top-level directory;
host paths under /usr are hidden by the seed's sysroot). Output files land on the host.
${k.driver ? `eka runs the clang driver's jobs itself (clang -### …, then each job), and builds for
Node 20, Chromium and Bun: it turns off the 'extended-const' target feature unless you pass -mcpu=
or -m[no-]extended-const yourself.
` : ""}
Options (only before the tool's own arguments):
  --json    after the run, print {"exitCode", "jobs", "ms", "stdout"} as JSON on stdout
  --help    this help; for the tool's own help run 'eka ${k.name} -- --help'
  --        end of eka's options

The tool's diagnostics go to stderr unchanged and its exit status is eka's.

Example:
  ${k.example}
`;
  return {
    summary: k.what,
    help,
    run: async (argv) => {
      // eka's options come first; the first other argument starts the tool's.
      const { values, positionals } = parseCommand({ command: `eka ${k.name}`, help, options: { json: { type: "boolean" } }, args: { name: `${k.tool} arguments`, min: 1, max: Infinity }, passOn: "tool" }, argv);
      return runSeedTool(k, positionals, values.json === true);
    },
  };
}

async function runSeedTool(k: SeedTool, args: string[], json: boolean): Promise<number> {
  const t0 = performance.now();
  const cwd = process.cwd();
  const plan = planHostPaths(args, cwd, new Set(safeReaddir(cwd)), ["usr", TMP_DIR.slice(1)]);
  const mounts: Mount[] = [{ guest: "/", fs: hostFS(cwd) }];
  // A top-level name that is not a host directory stays unmounted: the tool reports the missing
  // file itself, as it would natively.
  for (const top of plan.topDirs) if (isDir(top)) mounts.push({ guest: top, fs: hostFS(top) });
  const seed = seedFiles();
  const [{ module }, sysroot] = await Promise.all([seedModule(seed.wasm), sysrootDir(seed.resources)]);
  for (const p of plan.shadowed) {
    // Naming the sysroot's own files (crt1.o, libc.a) is fine; a host file it hides is not.
    if (existsSync(p) && !existsSync(sysroot + p.slice("/usr".length))) {
      process.stderr.write(`eka: warning: '${p}' is under /usr, which the tool sees as the seed's sysroot, not the host's /usr; copy the file elsewhere\n`);
    }
  }
  const opts: SeedRunOptions = {
    module,
    sysroot: new NodeDirFS(sysroot, { readonly: true }) as FileSystem,
    mounts,
    tmpDir: TMP_DIR,
    ...(plan.args.includes("-") ? { stdin: readFileSync(0) } : {}),
  };
  const stdout = json ? undefined : (b: Uint8Array) => void process.stdout.write(b);
  const stderr = (b: Uint8Array) => void process.stderr.write(b);
  let exitCode: number;
  let jobs: string[][] = [];
  let captured: Uint8Array = new Uint8Array(0);
  if (k.driver) {
    const pool = plan.args.includes("-") || sourceCount(plan.args) < 2 ? null : await poolRunner(cwd, plan.topDirs.filter(isDir), sysroot, seed.wasm);
    let r;
    try {
      r = await compile(plan.args, { ...opts, driver: k.driver, ...(stdout ? { stdout } : {}), stderr, ...(pool ? { concurrent: pool.run, tmpFs: pool.tmpFs } : {}) });
    } finally {
      pool?.dispose();
    }
    exitCode = r.exitCode;
    jobs = r.jobs;
    captured = r.stdout;
  } else {
    const r = await runTool(k.tool, plan.args, opts);
    exitCode = r.exitCode;
    jobs = [[k.tool, ...plan.args]];
    if (stdout) stdout(r.stdout);
    else captured = r.stdout;
    stderr(r.stderr);
  }
  if (json) {
    const out = { exitCode, jobs, ms: Math.round(performance.now() - t0), stdout: new TextDecoder().decode(captured) };
    process.stdout.write(JSON.stringify(out) + "\n");
  }
  return exitCode;
}

/** Source files on a driver command line (a guess that only decides whether a pool is worth it). */
function sourceCount(args: string[]): number {
  return args.filter((a, i) => !a.startsWith("-") && /\.(c|cc|cpp|cxx|c\+\+|m|mm|s|S)$/.test(a) && !["-o", "-MF", "-include", "-x"].includes(args[i - 1] ?? "")).length;
}

/**
 * A runner for the driver's compile jobs on the worker pool, one per core: the same mounts as this
 * thread's runner (the current directory at /, the top-level host directories named, the sysroot)
 * and one temp directory on the host that both use, so the link job here reads what cc1 jobs in
 * the workers wrote.
 */
async function poolRunner(cwd: string, tops: string[], sysroot: string, wasm: string) {
  const [{ defaultPool }, { sysrootMount }, { key }] = await Promise.all([import("../runtime/pool.node.ts"), import("../toolchains/clang/pool.node.ts"), seedModule(wasm)]);
  const tmp = mkdtempSync(join(tmpdir(), "eka-cc-"));
  const pool = defaultPool();
  const mounts: MountSpec[] = [{ guest: "/", kind: "host", path: cwd }, ...tops.map((t): MountSpec => ({ guest: t, kind: "host", path: t })), sysrootMount(sysroot), { guest: TMP_DIR, kind: "host", path: tmp }];
  return {
    tmpFs: hostFS(tmp),
    run: (argv: string[]) => pool.run({ module: key, args: argv, env: { TMPDIR: TMP_DIR }, mounts }),
    dispose: () => {
      rmSync(tmp, { recursive: true, force: true });
      void pool.close();
    },
  };
}

function hostFS(dir: string): FileSystem {
  return new NodeDirFS(dir, { readonly: false }) as FileSystem;
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (e) {
    throw new EkaError("E_CWD", `cannot read the current directory ${dir}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
