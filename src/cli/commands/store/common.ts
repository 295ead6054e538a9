// Node-only: what the `eka store` subcommands share: their grammar and help, the store they open,
// and how they read store path arguments and write output.
import * as fs from "node:fs";
import { EkaError } from "../../../errors.ts";
import { chooseStore, openStore, parseStorePath, publicKeyOf, splitStorePath, type Store } from "../../../store/index.node.ts";
import { parseCommand, UsageError, type Command, type Grammar, type Options, type Parsed } from "../../args.ts";

export interface StoreSubcommand<O extends Options> {
  /** The usage line after `eka store [--store ADDRESS]`, starting with the subcommand's name. */
  usage: string;
  /** One sentence, for `eka store --help`'s list and the head of the subcommand's help. */
  summary: string;
  /** More of the help, after the summary (optional). */
  details?: string;
  options: O;
  /** The options' help lines, `[flag, what]`; --store and --help are added. */
  flags: [string, string][];
  args?: Grammar<O>["args"];
  /** It adds paths, so it may create the store (in a missing or empty directory); others never do. */
  creates?: boolean;
  run(a: Parsed<O>, ctx: StoreContext): Promise<number>;
}

export interface StoreContext {
  /** Opens the store (once; `run` closes it afterwards); only a `creates` subcommand makes one. */
  open(): Promise<Store>;
  /** A usage error of this subcommand (exit 2, with a pointer to its --help). */
  usage(message: string): UsageError;
}

const STORE_OPTION = { store: { type: "string" } } as const;

/** A subcommand of `eka store`; `usage` is for the group's list. */
export type StoreCommand = Command & { usage: string };

/** A subcommand of `eka store`, with its own help and the --store option wherever it is given. */
export function storeCommand<const O extends Options>(s: StoreSubcommand<O>): StoreCommand {
  const name = s.usage.split(" ")[0] as string;
  const command = `eka store ${name}`;
  const flags: [string, string][] = [...s.flags, ["--store ADDRESS", "the store (default: $EKA_STORE, else ~/.local/share/eka/store)"], ["-h, --help", "show this help"]];
  // `-R, --recursive` and `    --json` line up, as in every eka help.
  const shown = flags.map(([f, what]) => [/^-[^-]/.test(f) ? f : `    ${f}`, what] as const);
  const width = Math.max(...shown.map(([f]) => f.length)) + 2;
  const lines = shown.map(([f, what]) => `  ${f.padEnd(width)}${what}`);
  const help = `Usage: eka store [--store ADDRESS] ${s.usage}\n\n${s.summary}\n${s.details ? `\n${s.details}\n` : ""}\nOptions:\n${lines.join("\n")}\n`;
  return {
    usage: s.usage,
    summary: s.summary,
    help,
    run: async (argv) => {
      const a = parseCommand({ command, help, options: { ...s.options, ...STORE_OPTION }, ...(s.args ? { args: s.args } : {}) }, argv);
      let store: Store | undefined;
      const open = async () => (store ??= await openStore(chooseStore((a.values as { store?: string }).store), { create: !!s.creates }));
      try {
        return await s.run(a as Parsed<O>, { open, usage: (m) => new UsageError(command, m) });
      } finally {
        store?.close();
      }
    },
  };
}

/** A store path argument: a /nix/store path, or a result link / checkout pointing at one. */
export function storePathArg(arg: string): string {
  return splitStorePath(resolveArg(arg)).storePath;
}

/** A path in the store (`STOREPATH[/SUB]`) as a tree and the path inside it. */
export function viewOf(store: Store, arg: string) {
  const { storePath, sub } = splitStorePath(resolveArg(arg));
  if (!store.has(storePath)) throw notInStore(store, storePath);
  const base = parseStorePath(storePath).basename;
  return { tree: store.view([storePath]), rel: sub ? `${base}/${sub}` : base };
}

export function notInStore(store: Store, storePath: string): EkaError {
  return new EkaError("E_NOT_IN_STORE", `${storePath} is not in the store ${store.address}`);
}

/** A secret key file as Nix writes it (`name:base64`, maybe with a trailing newline). */
export function readKey(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8").trim();
  } catch {
    throw new EkaError("E_NOT_FOUND", `cannot read the key file ${file}`);
  }
  publicKeyOf(text);
  return text;
}

/** Binary output (a NAR, an export) is not for a terminal. */
export function refuseTty(what: string): void {
  if (process.stdout.isTTY) throw new EkaError("E_TTY", `'eka store ${what}' writes binary data; redirect stdout to a file (e.g. > out.nar)`);
}

export function out(line: string): void {
  process.stdout.write(line + "\n");
}

/** Store paths one a line, or with --json a JSON array. */
export function outPaths(paths: readonly string[], json: boolean | undefined): void {
  if (json) out(JSON.stringify(paths));
  else for (const p of paths) out(p);
}

export function write(chunk: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(chunk, (err) => (err ? reject(err) : resolve()));
  });
}

function resolveArg(arg: string): string {
  if (arg.startsWith("/nix/store/")) return arg;
  try {
    const target = fs.realpathSync(arg);
    const m = /\/checkout\/([^/]+)(\/.*)?$/.exec(target);
    if (m) return `/nix/store/${m[1]}${m[2] ?? ""}`;
  } catch {
    // fall through to the store path parser's error
  }
  parseStorePath(arg);
  return arg;
}
