/**
 * Runs the seed's tools on eka's WASI host: one multi-call module, the sysroot read-only at /usr, a
 * fresh in-memory temp directory per driver invocation, and whatever the caller mounts.
 */
import { MemoryFS, runWasi, type FileSystem } from "../../runtime/index.ts";
import { runClang, type DriverOptions, type DriverResult, type ToolResult, type ToolRunner } from "./driver.ts";

export interface Mount {
  guest: string;
  fs: FileSystem;
}

export interface SeedRunOptions {
  /** The compiled seed module (seedModule() in Node; compileModule(bytes) in a browser). */
  module: WebAssembly.Module;
  /** The sysroot, mounted read-only at /usr. */
  sysroot: FileSystem;
  /** The caller's file systems (sources, outputs). */
  mounts?: Mount[];
  env?: Record<string, string>;
  /** Guest directory for the driver's temp files. Default "/tmp". */
  tmpDir?: string;
  /** What backs it: default a fresh MemoryFS (a host directory when jobs also run elsewhere). */
  tmpFs?: FileSystem;
  stdin?: Uint8Array;
  deterministic?: { epochNs?: bigint; seed?: number };
  /** Guest working directory, inside one of the mounts (see RunOptions.cwd). */
  cwd?: string;
}

/**
 * A ToolRunner whose jobs share one temp directory (cc1 writes the object the link job reads). The
 * temp directory is dropped with the runner.
 */
export function seedRunner(opts: SeedRunOptions): ToolRunner {
  const tmpDir = opts.tmpDir ?? "/tmp";
  const preopens = [
    ...(opts.mounts ?? []),
    { guest: "/usr", fs: opts.sysroot },
    { guest: tmpDir, fs: opts.tmpFs ?? (new MemoryFS() as FileSystem) },
  ];
  // clang picks its temp directory from TMPDIR; it must exist or clang names temp files "".
  const env = { TMPDIR: tmpDir, ...opts.env };
  return async (argv: string[]): Promise<ToolResult> => {
    const r = await runWasi(opts.module, {
      args: argv,
      env,
      preopens,
      ...(opts.stdin ? { stdin: opts.stdin } : {}),
      ...(opts.deterministic ? { deterministic: opts.deterministic } : {}),
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    });
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  };
}

/** Runs one seed tool directly (`ar`, `ranlib`, `nm`, `wasm-ld`, `objdump`, …): argv[0] = `tool`. */
export function runTool(tool: string, args: string[], opts: SeedRunOptions): Promise<ToolResult> {
  return seedRunner(opts)([tool, ...args]);
}

/** Runs `clang args…` (or clang++) with driver emulation: each job the driver plans, in turn. */
export function compile(args: string[], opts: SeedRunOptions & DriverOptions): Promise<DriverResult> {
  return runClang(args, seedRunner(opts), opts);
}
