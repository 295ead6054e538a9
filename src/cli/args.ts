// Node-only: the grammar every eka command and subcommand shares. node:util parseArgs splits the
// arguments into tokens; this file checks them so that every usage error reads the same (one line,
// "did you mean", a pointer to --help) and takes what parseArgs lacks: variant options
// (`--NAME=CHOICE`) and arguments passed on untouched to a tool or program.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { EkaError } from "../errors.ts";
import { didYouMean } from "../util/suggest.ts";

/**
 * What every command module under ./commands exports, and every subcommand of a group such as
 * `eka store`. `run` returns the exit status; it throws `UsageError` for a usage error and
 * `HelpRequested` for --help, which the entry point turns into output and exit 2 or 0.
 */
export interface Command {
  /** One line for `eka --help`'s list. */
  summary: string;
  help: string;
  run(argv: string[]): Promise<number>;
  /** A group's subcommands (`eka store gc`), which `run` dispatches to. */
  subcommands?: Readonly<Record<string, Command>>;
}

export type Options = NonNullable<ParseArgsConfig["options"]>;

export interface Grammar<O extends Options> {
  /** The command as errors name it: "eka log", "eka store gc", "eka-run". */
  command: string;
  help: string;
  /** parseArgs options; --help/-h is added. */
  options: O;
  /** The positional arguments: their name in messages ("PATH") and how many; default: none. */
  args?: { name: string; min: number; max: number; hint?: string };
  /** Take `--NAME=VALUE` for a NAME not among `options` as a variant choice (`--cc=clang`). */
  variants?: boolean;
  /**
   * Where eka's own arguments end and arguments passed on untouched begin:
   * "dash": after `--`, into `rest` (`eka run ATOM -- ARGS`);
   * "positional": at the first positional, which starts `positionals` (`eka wasi run FILE ARGS…`);
   * "tool": at the first argument that is not one of eka's options (`eka cc -O2 …`).
   * Without it, `--` only ends options.
   */
  passOn?: "dash" | "positional" | "tool";
}

type ValueOf<T> = T extends { type: "string" } ? string : boolean;
export type Values<O extends Options> = { -readonly [K in keyof O]?: O[K] extends { multiple: true } ? ValueOf<O[K]>[] : ValueOf<O[K]> };

export interface Parsed<O extends Options> {
  values: Values<O>;
  positionals: string[];
  /** Variant choices, `--NAME=VALUE` → { NAME: VALUE } (with `variants` only). */
  choices: Record<string, string>;
  /** What followed `--` (with `passOn: "dash"` only). */
  rest: string[];
}

/** A usage error: the entry point prints `COMMAND: message` and a pointer to `COMMAND --help`, exit 2. */
export class UsageError extends EkaError {
  constructor(
    readonly command: string,
    message: string,
  ) {
    super("E_USAGE", message, { command });
  }
}

/** --help or -h was given: the entry point prints `help` on stdout and exits 0. */
export class HelpRequested extends Error {
  constructor(readonly help: string) {
    super("help requested");
  }
}

const HELP = { help: { type: "boolean", short: "h" } } as const;

/** Parses `argv` by `g`; throws `HelpRequested` or `UsageError`. */
export function parseCommand<const O extends Options>(g: Grammar<O>, argv: string[]): Parsed<O> {
  const options: Options = { ...g.options, ...HELP };
  const { own, passed, rest } = splitOwn(g, options, argv);
  const { tokens } = parseArgs({ args: own, options, strict: false, allowPositionals: true, tokens: true });
  if (tokens.some((t) => t.kind === "option" && t.name === "help")) throw new HelpRequested(g.help);
  const values: Record<string, string | boolean | (string | boolean)[]> = {};
  const choices: Record<string, string> = {};
  const positionals: string[] = [];
  for (const t of tokens) {
    if (t.kind === "positional") positionals.push(t.value);
    if (t.kind !== "option") continue;
    const spec = options[t.name];
    if (!spec) {
      if (g.variants && t.inlineValue && t.rawName.startsWith("--")) choices[t.name] = t.value as string;
      else throw new UsageError(g.command, unknownOption(t.rawName, options, g.variants === true));
      continue;
    }
    const shown = t.rawName.startsWith("--") ? t.rawName : `${t.rawName}, --${t.name}`;
    let value: string | boolean = true;
    if (spec.type === "boolean") {
      if (t.value !== undefined) throw new UsageError(g.command, `option '${shown}' takes no value, got '${t.value}'`);
    } else {
      // As parseArgs' strict mode: `--out-link --json` is a forgotten value, not a value.
      if (t.value === undefined || (!t.inlineValue && t.value.startsWith("-") && t.value !== "-")) throw new UsageError(g.command, `option '${shown}' needs a value`);
      value = t.value;
    }
    if (spec.multiple) ((values[t.name] ??= []) as (string | boolean)[]).push(value);
    else values[t.name] = value;
  }
  positionals.push(...passed);
  checkCount(g, positionals);
  return { values: values as Values<O>, positionals, choices, rest };
}

/** `--jobs 4`: a positive whole number, or a usage error naming the option. */
export function positiveInt(command: string, option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(command, `--${option} wants a positive whole number, got '${value}'`);
  return n;
}

/**
 * Runs a group's subcommand (`eka store gc …`): the first positional names it, wherever the
 * group's own options (`--store ADDRESS`) sit; the subcommand gets the other arguments.
 */
export async function runSubcommand(command: string, help: string, subcommands: Readonly<Record<string, Command>>, argv: string[], groupOptions: Options = {}): Promise<number> {
  const options: Options = { ...groupOptions, ...HELP };
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  const first = tokens.find((t) => t.kind === "positional" || t.kind === "option-terminator");
  const names = Object.keys(subcommands);
  if (first?.kind !== "positional") {
    if (tokens.some((t) => t.kind === "option" && t.name === "help")) throw new HelpRequested(help);
    const bad = tokens.find((t) => t.kind === "option" && !(t.name in options));
    throw new UsageError(command, bad?.kind === "option" ? unknownOption(bad.rawName, options, false) : `missing subcommand: one of ${names.join(", ")}`);
  }
  const sub = subcommands[first.value];
  if (!sub) {
    const near = didYouMean(first.value, names);
    throw new UsageError(command, `unknown subcommand '${first.value}'${near ? ` (did you mean '${near}'?)` : `; the subcommands are ${names.join(", ")}`}`);
  }
  return sub.run([...argv.slice(0, first.index), ...argv.slice(first.index + 1)]);
}

/** Splits argv into what eka parses, what `passOn` keeps verbatim as positionals, and what follows `--`. */
function splitOwn(g: Grammar<Options>, options: Options, argv: string[]): { own: string[]; passed: string[]; rest: string[] } {
  if (g.passOn === "dash") {
    const dash = argv.indexOf("--");
    return dash < 0 ? { own: argv, passed: [], rest: [] } : { own: argv.slice(0, dash), passed: [], rest: argv.slice(dash + 1) };
  }
  if (g.passOn === undefined) return { own: argv, passed: [], rest: [] };
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  const tool = g.passOn === "tool";
  const stop = tokens.find((t) => t.kind !== "option" || (tool && !(t.name in options && t.rawName.length === argLength(argv[t.index]))));
  if (stop === undefined) return { own: argv, passed: [], rest: [] };
  const from = stop.kind === "option-terminator" ? stop.index + 1 : stop.index;
  return { own: argv.slice(0, stop.index), passed: argv.slice(from), rest: [] };
}

/** The length of an argument's option name: `-hx` is not `-h`, so in "tool" mode it goes to the tool. */
function argLength(arg: string | undefined): number {
  return arg === undefined ? 0 : arg.includes("=") ? arg.indexOf("=") : arg.length;
}

function unknownOption(raw: string, options: Options, variants: boolean): string {
  const near = raw.startsWith("--") ? didYouMean(raw.slice(2), Object.keys(options)) : undefined;
  if (near) return `unknown option '${raw}' (did you mean '--${near}'?)`;
  return `unknown option '${raw}'${variants && raw.startsWith("--") ? `; a variant choice is written ${raw}=CHOICE` : ""}`;
}

function checkCount(g: Grammar<Options>, positionals: string[]): void {
  const { name, min, max, hint } = g.args ?? { name: "", min: 0, max: 0 };
  const n = positionals.length;
  if (n < min) throw new UsageError(g.command, `missing ${name}`);
  if (n <= max) return;
  const why = max === 0 ? `unexpected argument '${positionals[0]}'` : `expected ${max === 1 ? "one" : `at most ${max}`} ${name}, got ${n}: ${positionals.join(" ")}`;
  throw new UsageError(g.command, `${why}${hint ? `; ${hint}` : ""}`);
}
