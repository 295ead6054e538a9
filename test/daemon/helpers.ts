// What the daemon's tests share: a temp runtime directory, cache and store per test file, eka run
// as a real process, and small atoms (examples/hello in a git repository, a generated slow one).
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runEka } from "../helpers/spawn.ts";

export const ROOT = path.join(import.meta.dirname, "../..");
export const EKA = path.join(ROOT, "bin/eka.js");

export interface Sandbox {
  tmp: string;
  env: NodeJS.ProcessEnv;
  socket: string;
  /** `eka ARGS` in the sandbox, without blocking the test worker (builds take long). */
  eka(args: string[], extra?: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }>;
  spawnEka(args: string[], extra?: NodeJS.ProcessEnv): Running;
  cleanup(): void;
}

export interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once stderr matches `re`. */
  seen(re: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<{ status: number | null; signal: NodeJS.Signals | null }>;
}

export function sandbox(name: string): Sandbox {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `eka-daemon-${name}-`));
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_RUNTIME_DIR: path.join(tmp, "run"), EKA_CACHE: path.join(tmp, "cache"), EKA_STORE: path.join(tmp, "store") };
  delete env.EKA_DAEMON;
  fs.mkdirSync(env.XDG_RUNTIME_DIR as string, { recursive: true });
  const socket = path.join(env.XDG_RUNTIME_DIR as string, "eka", "daemon.sock");
  return {
    tmp,
    env,
    socket,
    eka: async (args, extra = {}) => {
      const r = await runEka(EKA, args, { env: { ...env, ...extra }, cwd: tmp });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    spawnEka: (args, extra = {}) => {
      const child = spawn(process.execPath, [EKA, ...args], { env: { ...env, ...extra }, stdio: ["ignore", "pipe", "pipe"], cwd: tmp });
      let out = "";
      let err = "";
      const waiters: { re: RegExp; resolve: () => void }[] = [];
      child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr?.on("data", (d: Buffer) => {
        err += d.toString();
        for (const w of waiters.filter((w) => w.re.test(err))) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      });
      const exited = new Promise<{ status: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (status, signal) => resolve({ status, signal })));
      return {
        child,
        stdout: () => out,
        stderr: () => err,
        exited,
        seen: (re, timeoutMs = 60_000) =>
          new Promise<void>((resolve, reject) => {
            if (re.test(err)) return resolve();
            const t = setTimeout(() => reject(new Error(`stderr never matched ${re}:\n${err}`)), timeoutMs);
            waiters.push({ re, resolve: () => (clearTimeout(t), resolve()) });
            void exited.then(() => setTimeout(() => reject(new Error(`exited before stderr matched ${re}:\n${err}`)), 50));
          }),
      };
    },
    cleanup: () => {
      const pid = daemonPid(socket);
      spawnSync(process.execPath, [EKA, "daemon", "stop"], { env, encoding: "utf8" });
      if (pid && alive(pid)) process.kill(pid, "SIGKILL");
      spawnSync("chmod", ["-R", "u+w", tmp]);
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** The pid the daemon's pid file names (beside its socket). */
export function daemonPid(socket: string): number | undefined {
  try {
    return Number(fs.readFileSync(path.join(path.dirname(socket), "daemon.pid"), "utf8").trim()) || undefined;
  } catch {
    return undefined;
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** examples/hello copied into a fresh git repository under `dir`. */
export function helloRepo(dir: string): string {
  fs.cpSync(path.join(ROOT, "examples/hello"), dir, { recursive: true });
  const git = (...args: string[]) => execFileSync("git", ["-C", dir, ...args], { stdio: "ignore" });
  git("init", "-q");
  git("add", "-A");
  git("-c", "user.email=t@example.org", "-c", "user.name=t", "commit", "-qm", "hello");
  return dir;
}

/** An atom whose one C file takes clang seconds at -O2 (many small loops); `id` names it. */
export function slowAtom(dir: string, functions: number, id = "slow"): string {
  let c = "";
  for (let i = 0; i < functions; i++) {
    c += `static unsigned f${i}(unsigned x){for(unsigned j=0;j<${i + 3};j++){x=x*${2 * i + 1}u+(x>>${(i % 13) + 1})^${i}u;if(x%7==${i % 7})x+=j*${i};}return x;}\n`;
  }
  c += `int main(void){unsigned x=1;\n${Array.from({ length: functions }, (_, i) => `x=f${i}(x);`).join("\n")}\nreturn (int)(x&1);}\n`;
  fs.mkdirSync(path.join(dir, "src"), { recursive: true });
  fs.writeFileSync(path.join(dir, "src", "main.c"), c);
  fs.writeFileSync(path.join(dir, "atom.toml"), `[atom]\nid = "${id}"\nversion = "0.1.0"\n\n[srcs.main]\npath = "src"\n\n[build]\nkind = "c"\ncflags = ["-O2"]\n\n[build.bin.${id}]\nsources = ["main.c"]\n`);
  return dir;
}

/** Polls `f` until it returns true. */
export async function until(f: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = "condition"): Promise<void> {
  const t0 = Date.now();
  while (!(await f())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
