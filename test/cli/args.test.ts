// The grammar every command shares (src/cli/args.ts): values, variant choices, arguments passed
// on to a tool or program, and the usage errors' wording.
import { describe, expect, it } from "vitest";
import { HelpRequested, parseCommand, positiveInt, runSubcommand, UsageError, type Command } from "../../src/cli/args.ts";
import { isEkaError } from "../../src/errors.ts";

const help = "Usage: eka demo\n";
const options = { json: { type: "boolean" }, jobs: { type: "string", short: "j" }, dir: { type: "string", multiple: true } } as const;

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return worded(e);
  }
  throw new Error("expected a usage error");
}

async function usageMessageOf(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => {
      throw new Error("expected a usage error");
    },
    (e: unknown) => worded(e),
  );
}

function worded(e: unknown): string {
  if (e instanceof UsageError && isEkaError(e, "E_USAGE")) return `${e.command}: ${e.message}`;
  throw e;
}

describe("parseCommand", () => {
  it("reads booleans, strings (= or a separate argument, short or long) and repeated options", () => {
    const a = parseCommand({ command: "eka demo", help, options, args: { name: "X", min: 0, max: 2 } }, ["--json", "-j", "3", "--dir=a", "--dir", "b", "x"]);
    expect(a.values).toEqual({ json: true, jobs: "3", dir: ["a", "b"] });
    expect(a.positionals).toEqual(["x"]);
    expect(parseCommand({ command: "eka demo", help, options }, ["-j4"]).values.jobs).toBe("4");
  });

  it("throws HelpRequested for --help or -h anywhere among eka's own arguments", () => {
    for (const argv of [["--help"], ["-h"], ["--json", "-h", "--bogus"]]) {
      expect(() => parseCommand({ command: "eka demo", help, options }, argv)).toThrow(HelpRequested);
    }
    // After `--`, --help is the program's.
    expect(parseCommand({ command: "eka demo", help, options, passOn: "dash" }, ["--", "--help"]).rest).toEqual(["--help"]);
  });

  it("words usage errors in one line, with 'did you mean'", () => {
    const g = { command: "eka demo", help, options };
    expect(usageMessage(() => parseCommand(g, ["--jsn"]))).toBe("eka demo: unknown option '--jsn' (did you mean '--json'?)");
    expect(usageMessage(() => parseCommand(g, ["-x"]))).toBe("eka demo: unknown option '-x'");
    expect(usageMessage(() => parseCommand(g, ["--jobs"]))).toBe("eka demo: option '--jobs' needs a value");
    expect(usageMessage(() => parseCommand(g, ["-j", "--json"]))).toBe("eka demo: option '-j, --jobs' needs a value");
    expect(usageMessage(() => parseCommand(g, ["--json=1"]))).toBe("eka demo: option '--json' takes no value, got '1'");
    expect(usageMessage(() => parseCommand(g, ["stray"]))).toBe("eka demo: unexpected argument 'stray'");
    const one = { ...g, args: { name: "PATH", min: 1, max: 1, hint: "one at a time" } };
    expect(usageMessage(() => parseCommand(one, []))).toBe("eka demo: missing PATH");
    expect(usageMessage(() => parseCommand(one, ["a", "b"]))).toBe("eka demo: expected one PATH, got 2: a b; one at a time");
  });

  it("takes --NAME=CHOICE as a variant choice only where the command has variants", () => {
    const g = { command: "eka build", help, options, args: { name: "ATOM", min: 0, max: 1 }, variants: true };
    const a = parseCommand(g, ["--cc=clang", "--host=wasm32-wasip1", "--json", "app"]);
    expect(a.choices).toEqual({ cc: "clang", host: "wasm32-wasip1" });
    expect(a.values).toEqual({ json: true });
    expect(a.positionals).toEqual(["app"]);
    expect(usageMessage(() => parseCommand(g, ["--cc", "clang"]))).toBe("eka build: unknown option '--cc'; a variant choice is written --cc=CHOICE");
    expect(usageMessage(() => parseCommand({ ...g, variants: false }, ["--cc=clang"]))).toBe("eka build: unknown option '--cc'");
  });

  it("passes arguments on untouched: after --, from the first positional, or from the first argument not eka's", () => {
    const dash = parseCommand({ command: "eka run", help, options, args: { name: "ATOM", min: 0, max: 1 }, passOn: "dash" }, ["app", "--json", "--", "-x", "--json"]);
    expect([dash.positionals, dash.values, dash.rest]).toEqual([["app"], { json: true }, ["-x", "--json"]]);
    const wasi = { command: "eka wasi run", help, options, args: { name: "FILE.wasm", min: 1, max: Infinity }, passOn: "positional" } as const;
    const w = parseCommand(wasi, ["--dir", ".", "prog.wasm", "--json", "-o", "x"]);
    expect([w.values, w.positionals]).toEqual([{ dir: ["."] }, ["prog.wasm", "--json", "-o", "x"]]);
    expect(parseCommand(wasi, ["--", "--odd.wasm"]).positionals).toEqual(["--odd.wasm"]);
    expect(usageMessage(() => parseCommand(wasi, ["--dir", "."]))).toBe("eka wasi run: missing FILE.wasm");
    const cc = { command: "eka cc", help, options: { json: { type: "boolean" } }, args: { name: "clang arguments", min: 1, max: Infinity }, passOn: "tool" } as const;
    const c = parseCommand(cc, ["--json", "-O2", "--json", "-o", "a.wasm", "a.c"]);
    expect([c.values, c.positionals]).toEqual([{ json: true }, ["-O2", "--json", "-o", "a.wasm", "a.c"]]);
    expect(parseCommand(cc, ["--", "--help"]).positionals).toEqual(["--help"]);
    expect(parseCommand(cc, ["-hx"]).positionals).toEqual(["-hx"]);
    expect(() => parseCommand(cc, ["-h", "-c"])).toThrow(HelpRequested);
  });
});

describe("positiveInt", () => {
  it("takes positive whole numbers and words the rest as a usage error", () => {
    expect(positiveInt("eka build", "jobs", "8")).toBe(8);
    expect(positiveInt("eka build", "jobs", undefined)).toBeUndefined();
    for (const bad of ["0", "-1", "1.5", "x", "", "1e3"]) {
      expect(usageMessage(() => positiveInt("eka build", "jobs", bad))).toBe(`eka build: --jobs wants a positive whole number, got '${bad}'`);
    }
  });
});

describe("runSubcommand", () => {
  const seen: string[][] = [];
  const sub = (name: string): Command => ({ summary: name, help: `Usage: eka grp ${name}\n`, run: async (argv) => (seen.push([name, ...argv]), 0) });
  const table = { verify: sub("verify"), gc: sub("gc") };
  const run = (argv: string[]) => runSubcommand("eka grp", "Usage: eka grp\n", table, argv, { store: { type: "string" } });

  it("finds the subcommand wherever the group's options sit, and gives it the rest", async () => {
    await run(["--store", "memory:", "gc", "--dry-run"]);
    await run(["verify", "--store=x"]);
    expect(seen).toEqual([
      ["gc", "--store", "memory:", "--dry-run"],
      ["verify", "--store=x"],
    ]);
  });

  it("words a missing or unknown subcommand as a usage error, and --help alone is the group's", async () => {
    expect(await usageMessageOf(run(["vrify"]))).toBe("eka grp: unknown subcommand 'vrify' (did you mean 'verify'?)");
    expect(await usageMessageOf(run(["zzzzzz"]))).toBe("eka grp: unknown subcommand 'zzzzzz'; the subcommands are verify, gc");
    expect(await usageMessageOf(run([]))).toBe("eka grp: missing subcommand: one of verify, gc");
    expect(await usageMessageOf(run(["--bogus"]))).toBe("eka grp: unknown option '--bogus'");
    await expect(run(["--help"])).rejects.toThrow(HelpRequested);
  });
});
