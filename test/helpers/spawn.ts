// spawnSync's shape without blocking the test worker: a build through bin/eka.js can take
// minutes on a loaded machine, and vitest's worker gives up on its runner after 60 s of a blocked
// event loop (test/setup/event-loop.ts). Tests that build use this; quick commands may stay sync.
import { spawn } from "node:child_process";

export interface Ran {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string | Uint8Array;
  /** Kill the child (SIGTERM) after this many ms; status is then null, as with spawnSync. */
  timeout?: number;
}

export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on("data", (c: Buffer) => out.push(c));
    child.stderr?.on("data", (c: Buffer) => err.push(c));
    const timer = opts.timeout ? setTimeout(() => child.kill("SIGTERM"), opts.timeout) : undefined;
    child.on("error", reject);
    child.on("close", (status, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ status, signal, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") });
    });
    if (opts.input !== undefined && child.stdin) {
      child.stdin.on("error", () => {});
      child.stdin.end(opts.input);
    }
  });
}

/** `node bin/eka.js ARGS`. */
export function runEka(ekaJs: string, args: string[], opts: RunOptions = {}): Promise<Ran> {
  return run(process.execPath, [ekaJs, ...args], opts);
}
