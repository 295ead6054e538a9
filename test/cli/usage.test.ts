// Every command and subcommand, taken from the command table (so a new one is covered without
// editing this file), run through the real CLI with an unknown option and with --help / -h: a usage
// error is exit 2 and two lines (the reason, a pointer to --help), help is exit 0 on stdout, and
// neither ever prints a stack trace or "internal error".
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commands } from "../../src/cli/main.ts";

const ROOT = join(import.meta.dirname, "../..");
const tmp = mkdtempSync(join(tmpdir(), "eka-usage-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Commands whose unknown options are the tool's own (`eka cc -O2`): their usage error is a missing argument. */
const TOOL_COMMANDS = ["cc", "c++", "ar", "ld"];

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function spawnEka(bin: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, bin), ...args], { cwd: tmp, env: { ...process.env, EKA_STORE: join(tmp, "store") } }, (err, stdout, stderr) => {
      resolve({ status: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

/** Runs all jobs, a few at a time (node starts in ~80 ms; the machine is shared). */
async function runAll<T>(jobs: (() => Promise<T>)[], width = 4): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await (jobs[i] as () => Promise<T>)();
      }
    }),
  );
  return out;
}

/** ["eka", "store", "gc"] for every command and subcommand, and ["eka-run"]. */
async function everyCommand(): Promise<string[][]> {
  const all: string[][] = [["eka-run"]];
  for (const [name, load] of Object.entries(commands)) {
    const cmd = await load();
    all.push(["eka", name]);
    for (const sub of Object.keys(cmd.subcommands ?? {})) all.push(["eka", name, sub]);
  }
  return all;
}

const bin = (cmd: string[]) => (cmd[0] === "eka-run" ? "bin/eka-run.js" : "bin/eka.js");
const shown = (cmd: string[]) => cmd.join(" ");

function expectNoCrash(r: Run, what: string): void {
  expect(r.stderr, what).not.toMatch(/internal error|TypeError|\n\s+at /);
}

let targets: string[][] = [];
let results: { cmd: string[]; bogus: Run; help: Run; h: Run }[] = [];

beforeAll(async () => {
  targets = await everyCommand();
  const jobs = targets.flatMap((cmd) => {
    const args = cmd.slice(1);
    const bogus = TOOL_COMMANDS.includes(cmd[1] as string) && cmd.length === 2 ? [] : ["--bogus-option"];
    return [() => spawnEka(bin(cmd), [...args, ...bogus]), () => spawnEka(bin(cmd), [...args, "--help"]), () => spawnEka(bin(cmd), [...args, "-h"])];
  });
  const runs = await runAll(jobs);
  results = targets.map((cmd, i) => ({ cmd, bogus: runs[3 * i] as Run, help: runs[3 * i + 1] as Run, h: runs[3 * i + 2] as Run }));
}, 120_000);

describe("every command's usage errors and help", () => {
  it("covers the command table, the store's and wasi's subcommands and eka-run", () => {
    const names = targets.map(shown);
    expect(names).toEqual(expect.arrayContaining(["eka build", "eka log", "eka store gc", "eka store path-info", "eka wasi run", "eka-run", ...TOOL_COMMANDS.map((c) => `eka ${c}`)]));
    expect(names.length).toBeGreaterThan(25);
  });

  it("an unknown option (for cc, c++, ar, ld: no arguments) is exit 2 with a one-line reason and a pointer to --help", () => {
    for (const { cmd, bogus } of results) {
      const c = shown(cmd);
      expectNoCrash(bogus, c);
      expect(bogus.status, c).toBe(2);
      expect(bogus.stdout, c).toBe("");
      const lines = bogus.stderr.split("\n");
      expect(lines, c).toHaveLength(3);
      expect(lines[0], c).toMatch(TOOL_COMMANDS.includes(cmd[1] as string) ? new RegExp(`^${c.replace(/\+/g, "\\+")}: missing `) : new RegExp(`^${c}: unknown option '--bogus-option'`));
      expect(lines[1], c).toBe(`Run '${c} --help' for usage.`);
    }
  });

  it("--help and -h print the help on stdout and exit 0", () => {
    for (const { cmd, help, h } of results) {
      const c = shown(cmd);
      for (const r of [help, h]) {
        expectNoCrash(r, c);
        expect(r.status, c).toBe(0);
        expect(r.stderr, c).toBe("");
        expect(r.stdout, c).toMatch(/^Usage: /);
      }
      expect(h.stdout, c).toBe(help.stdout);
    }
  });

  it("a subcommand's help is its own, not the group's", () => {
    const gc = results.find((r) => shown(r.cmd) === "eka store gc");
    expect(gc?.help.stdout).toMatch(/^Usage: eka store \[--store ADDRESS\] gc /);
    expect(gc?.help.stdout).toMatch(/--dry-run/);
    expect(gc?.help.stdout).not.toMatch(/path-info/);
  });
});

describe("usage errors of values and counts", () => {
  const cases: [string[], RegExp][] = [
    [["build", "--jobs", "x"], /^eka build: --jobs wants a positive whole number, got 'x'$/],
    [["build", "--jsn"], /^eka build: unknown option '--jsn' \(did you mean '--json'\?\)$/],
    [["build", "--cc", "clang"], /^eka build: unknown option '--cc'; a variant choice is written --cc=CHOICE$/],
    [["build", "-o", "r", "a", "b"], /^eka build: -o\/--out-link names one result; build one atom at a time to link it$/],
    [["run", "a", "b"], /put the program's arguments after '--'$/],
    [["log"], /^eka log: missing PATH/],
    [["log", "--json=yes", "x"], /^eka log: option '--json' takes no value, got 'yes'$/],
    [["init", "--name"], /^eka init: option '--name' needs a value$/],
    [["store", "verfiy"], /^eka store: unknown subcommand 'verfiy' \(did you mean 'verify'\?\)$/],
    [["store"], /^eka store: missing subcommand: one of add, ls, /],
    [["store", "keygen", "k"], /^eka store keygen: missing --secret-file FILE$/],
    [["store", "cat", "a", "b"], /^eka store cat: expected one STOREPATH\[\/SUB\], got 2/],
    [["wasi", "run"], /^eka wasi run: missing FILE\.wasm$/],
    [["biuld"], /^eka: unknown command 'biuld' \(did you mean 'build'\?\)$/],
  ];
  it("are exit 2, one line and a pointer to the command's --help", async () => {
    const runs = await runAll(cases.map(([args]) => () => spawnEka("bin/eka.js", args)));
    runs.forEach((r, i) => {
      const [args, reason] = cases[i] as [string[], RegExp];
      const what = args.join(" ");
      expectNoCrash(r, what);
      expect(r.status, what).toBe(2);
      const [first, pointer, end] = r.stderr.split("\n");
      expect(first, what).toMatch(reason);
      expect(pointer, what).toMatch(/^Run 'eka[a-z +-]*--help' for usage\.$/);
      expect(end, what).toBe("");
    });
  }, 60_000);
});

describe("command modules", () => {
  it("none imports the entry point (the table imports them)", () => {
    const dir = join(ROOT, "src/cli/commands");
    const files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
    const offenders = files.filter((f) => /from "(\.\.\/)+main\.ts"/.test(readFileSync(join(dir, f), "utf8")));
    expect(offenders).toEqual([]);
  });
});
