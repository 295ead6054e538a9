// Node-only: the argument handling every eka command shares.
import { parseArgs, type ParseArgsConfig } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;

const HELP = { help: { type: "boolean", short: "h" } } as const;

type Parsed<O extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O & typeof HELP; allowPositionals: true; strict: true }>
>;

/**
 * Parses a command's options (`--help`/`-h` added). Returns the parsed values, or the exit status
 * when the command is done: 0 after printing `help` for --help, 2 after a usage error (printed
 * with the help, so the fix is on screen).
 */
export function parseCommandArgs<const O extends Options>(
  command: string,
  help: string,
  args: string[],
  options: O,
): Parsed<O> | number {
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs({ args, options: { ...options, ...HELP }, allowPositionals: true, strict: true });
  } catch (e) {
    process.stderr.write(`eka ${command}: ${e instanceof Error ? e.message : String(e)}\n\n${help}`);
    return 2;
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(help);
    return 0;
  }
  return parsed;
}
