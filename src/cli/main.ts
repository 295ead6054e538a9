// Node-only: the `eka` command line entry point.
import { EkaError } from "../errors.ts";
import { didYouMean } from "../util/suggest.ts";

/**
 * Each command lives in its own module under ./commands and is loaded only when used, so that
 * `eka build` on a no-op stays fast. A command module exports `run(argv): Promise<number>`
 * (the exit status) and `help: string`.
 */
export interface CommandModule {
  help: string;
  summary: string;
  run(argv: string[]): Promise<number>;
}

const commands: Record<string, () => Promise<CommandModule>> = {
  init: () => import("./commands/init.ts"),
  add: () => import("./commands/add.ts"),
  resolve: () => import("./commands/resolve.ts"),
  build: () => import("./commands/build.ts"),
  run: () => import("./commands/run.ts"),
  log: () => import("./commands/log.ts"),
  store: () => import("./commands/store.ts"),
  cc: () => import("./commands/cc.ts").then((m) => m.cc),
  "c++": () => import("./commands/cc.ts").then((m) => m.cxx),
  ar: () => import("./commands/cc.ts").then((m) => m.ar),
  ld: () => import("./commands/cc.ts").then((m) => m.ld),
  wasi: () => import("./commands/wasi.ts"),
};

export async function main(argv: string[]): Promise<number> {
  const global = takeGlobalOptions(argv);
  if (typeof global === "string") {
    process.stderr.write(`eka: ${global}\n`);
    return 2;
  }
  const [name, ...rest] = global;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(await usage());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-V") {
    process.stdout.write("eka 0.1.0\n");
    return 0;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`eka: unknown command '${name}'${suggest(name)}\nRun 'eka --help' for the list of commands.\n`);
    return 2;
  }
  try {
    return await (await load()).run(rest);
  } catch (e) {
    return reportError(e);
  }
}

/** Prints an error the way every eka command does and returns its exit status. */
export function reportError(e: unknown): number {
  if (e instanceof EkaError) {
    process.stderr.write(`eka: error[${e.code}]: ${e.message}\n`);
    return 1;
  }
  const msg = e instanceof Error ? (e.stack ?? e.message) : String(e);
  process.stderr.write(`eka: internal error: ${msg}\n`);
  return 70;
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
    "",
    "Run 'eka <command> --help' for a command's options.",
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

function suggest(name: string): string {
  const near = didYouMean(name, Object.keys(commands));
  return near ? ` (did you mean '${near}'?)` : "";
}

/** `eka-run SCRIPT [ARGS…]`: the shebang interpreter. */
export async function mainRun(argv: string[]): Promise<number> {
  try {
    return await (await import("./commands/eka-run.ts")).run(argv);
  } catch (e) {
    return reportError(e);
  }
}
