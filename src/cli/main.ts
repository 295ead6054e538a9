// Node-only: the `eka` command line entry point.
import { EkaError, isEkaError } from "../errors.ts";
import { hostIoError } from "../util/io-errors.ts";
import { didYouMean } from "../util/suggest.ts";
import { HelpRequested, UsageError, type Command } from "./args.ts";
import { DAEMON_COMMANDS, setRunNamed } from "./dispatch.ts";

/**
 * Each command lives in its own module under ./commands (the shape is `Command` in ./args.ts) and
 * is loaded only when used, so that `eka build` on a no-op stays fast.
 */
export const commands: Readonly<Record<string, () => Promise<Command>>> = {
  init: () => import("./commands/init.ts"),
  add: () => import("./commands/add.ts"),
  resolve: () => import("./commands/resolve.ts"),
  build: () => import("./commands/build.ts"),
  run: () => import("./commands/run.ts"),
  get: () => import("./commands/get.ts"),
  log: () => import("./commands/log.ts"),
  mirror: () => import("./commands/mirror.ts"),
  store: () => import("./commands/store.ts"),
  cc: () => import("./commands/cc.ts"),
  "c++": () => import("./commands/cxx.ts"),
  ar: () => import("./commands/ar.ts"),
  ld: () => import("./commands/ld.ts"),
  wasi: () => import("./commands/wasi.ts"),
  daemon: () => import("./commands/daemon.ts"),
  bootstrap: () => import("./commands/bootstrap.ts"),
  review: () => import("./commands/review.ts"),
  ci: () => import("./commands/ci.ts"),
  web: () => import("./commands/web.ts"),
};

export async function main(argv: string[]): Promise<number> {
  const global = takeGlobalOptions(argv);
  if (typeof global === "string") return usageError("eka", global);
  const [name, ...rest] = global;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? process.stderr : process.stdout).write(await usage());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-V") {
    process.stdout.write("eka 0.1.0\n");
    return 0;
  }
  const load = commands[name];
  if (!load) {
    const near = didYouMean(name, Object.keys(commands));
    const what = name.startsWith("-") ? `unknown option '${name}'` : `unknown command '${name}'`;
    return usageError("eka", `${what}${near ? ` (did you mean '${near}'?)` : ""}`);
  }
  if (DAEMON_COMMANDS.has(name) && !rest.includes("-")) {
    // A running `eka daemon` (EKA_DAEMON) runs it with its warm pool and compiled seed; undefined:
    // run it here. A seed tool reading stdin ("-") stays here: the daemon has no stdin to give it.
    const { viaDaemon } = await import("../daemon/client.node.ts");
    const code = await runCommand(`eka ${name}`, () => viaDaemon(name, rest).then((c) => c ?? -1));
    if (code !== -1) return code;
  }
  return runNamed(name, rest);
}

/** Runs the command `name` (a key of `commands`) in this process, as `eka NAME ARGV…` would. */
export async function runNamed(name: string, argv: string[]): Promise<number> {
  const load = commands[name];
  if (!load) return usageError("eka", `unknown command '${name}'`);
  return runCommand(`eka ${name}`, async () => (await load()).run(argv));
}
setRunNamed(runNamed);

/** `eka-run SCRIPT [ARGS…]`: the shebang interpreter. */
export async function mainRun(argv: string[]): Promise<number> {
  return runCommand("eka-run", async () => (await import("./commands/eka-run.ts")).run(argv));
}

/**
 * Prints an error the way every eka command does and returns its exit status. What the host's file
 * system refused (ENOSPC, EACCES, ENOTDIR, …) is the user's or the machine's, not a bug: it gets
 * its code and one line, wherever it was thrown; only anything else is an internal error.
 */
export function reportError(err: unknown, command = "eka"): number {
  const e = hostIoError(err) ?? err;
  if (isEkaError(e, "E_USAGE")) return usageError(e instanceof UsageError ? e.command : command, e.message);
  if (e instanceof EkaError) {
    process.stderr.write(`eka: error[${e.code}]: ${e.message}\n`);
    // The CLI aborts a build only on SIGINT: exit as a shell reports a process ended by it.
    return e.code === "E_ABORTED" ? 130 : 1;
  }
  const msg = e instanceof Error ? (e.stack ?? e.message) : String(e);
  process.stderr.write(`eka: internal error: ${msg}\n`);
  return 70;
}

/**
 * Runs a command and turns what it threw into output and the exit status: 0 after --help,
 * 2 for a usage error, 130 for an interrupted build, 1 for any other `EkaError`, 70 otherwise.
 */
async function runCommand(command: string, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof HelpRequested) {
      process.stdout.write(e.help);
      return 0;
    }
    return reportError(e, command);
  }
}

function usageError(command: string, message: string): number {
  process.stderr.write(`${command}: ${message}\nRun '${command} --help' for usage.\n`);
  return 2;
}

async function usage(): Promise<string> {
  const lines = ["Usage: eka <command> [options]", "", "Commands:"];
  for (const [name, load] of Object.entries(commands)) {
    let summary = "";
    try {
      summary = (await load()).summary;
    } catch {
      summary = "(unavailable)";
    }
    lines.push(`  ${name.padEnd(10)} ${summary}`);
  }
  lines.push(
    "",
    "Global options (before the command):",
    "  --store ADDRESS   the store to use (memory:, file:///dir); default $EKA_STORE, else ~/.local/share/eka/store",
    "  -V, --version     print eka's version",
    "  -h, --help        this list",
    "",
    "Run 'eka <command> --help' for a command's options. Exit status: 0 success, 1 an error (its",
    "E_* code is printed; see docs/errors.md), 2 a usage error, 70 an internal error, 130 interrupted.",
    "",
  );
  return lines.join("\n");
}

/**
 * `--store ADDRESS` before the command applies to every command: it becomes `EKA_STORE`, which
 * every command that opens a store reads.
 */
function takeGlobalOptions(argv: string[]): string[] | string {
  const out = [...argv];
  while (out[0] === "--store" || out[0]?.startsWith("--store=")) {
    const flag = out.shift() as string;
    const value = flag.includes("=") ? flag.slice(flag.indexOf("=") + 1) : out.shift();
    if (!value) return "--store needs an address, e.g. --store memory: or --store file:///path/to/store";
    process.env.EKA_STORE = value;
  }
  return out;
}
