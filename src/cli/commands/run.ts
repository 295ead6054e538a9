// Node-only: `eka run [ATOM] [-- ARGS]` — build the atom if needed, then run its program.
import { isAbsolute, relative } from "node:path";
import type { Mount } from "../../builder/executor.ts";
import { programsOf } from "../../atom/to-ir.ts";
import { EkaError } from "../../errors.ts";
import { parseCommand } from "../args.ts";
import { mirrorsOption, atomDirFromArg, buildPrepared, loadOptions, prepareAtom, type PreparedAtom } from "../atoms.ts";
import { interruptible } from "../interrupt.ts";
import { ProgressRenderer } from "../progress.ts";
import { readStdin, writeFd } from "../stdio.ts";
import { openDefaultStore } from "./build.ts";

export const summary = "Build an atom if needed and run its program";
export const help = `Usage: eka run [ATOM] [options] [--VARIANT=CHOICE…] [-- ARGS…]

Builds the atom ATOM (a directory, default the current one, or a git URI[@RANGE]) unless the
store has it, then runs its program in the sandbox: the store paths it needs are mounted
read-only at /nix/store and the current directory is visible (read-write) at its own path.
Nothing else of the machine is.
The exit status is the program's.

Options:
  -p, --program NAME   Which of the atom's programs ([build.bin.NAME]); default: the first
      --frozen         Fail if atom.lock is out of date instead of updating it
      --allow-outside DIR
                       Let path sources and dependencies reach DIR outside the atom's
                       repository, as for 'eka build'; repeatable
      --mirror DIR|URL Try this source mirror first, as for 'eka build'; repeatable
      --host=TRIPLE    With several host platforms, which one (default: the first)
      --NAME=CHOICE    A variant choice, as for 'eka build'
  -h, --help           Show this help

Examples:
  eka run ./examples/hello
  eka run ./examples/sqlite -- demo.db "select sqlite_version();"
`;

const OPTIONS = {
  program: { type: "string", short: "p" },
  frozen: { type: "boolean" },
  "allow-outside": { type: "string", multiple: true },
  mirror: { type: "string", multiple: true },
} as const;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals, choices, rest: progArgs } = parseCommand(
    { command: "eka run", help, options: OPTIONS, args: { name: "ATOM", min: 0, max: 1, hint: "put the program's arguments after '--'" }, variants: true, passOn: "dash" },
    argv,
  );
  const dir = await atomDirFromArg(positionals[0] ?? ".");
  const prepared = await prepareAtom(dir, choices, loadOptions(values));
  return runAtomProgram(prepared, values.program, progArgs, {}, [], await mirrorsOption(values.mirror));
}

/** Builds (progress on stderr) and runs one program of the first root; returns its exit status. */
export async function runAtomProgram(prepared: PreparedAtom, program: string | undefined, args: string[], env: Record<string, string> = {}, extraDirs: string[] = [], mirrors?: string[]): Promise<number> {
  const m = prepared.graph.manifest;
  const programs = programsOf(m);
  const name = program ?? programs[0];
  if (!name) throw new EkaError("E_NO_PROGRAM", `${m.file}: ${m.atom.id} builds no program; add a [build.bin.NAME] table to run it`);
  if (program !== undefined && !programs.includes(program)) throw new EkaError("E_NO_PROGRAM", `${m.atom.id} has no program '${program}'; it has ${programs.join(", ") || "none"}`);
  const root = prepared.roots[0] as (typeof prepared.roots)[number];
  const one = { ...prepared, roots: [root] };
  const store = await openDefaultStore();
  const progress = new ProgressRenderer(process.stderr, { tty: process.stderr.isTTY === true });
  let storePath: string;
  try {
    // Ctrl-C stops the build as in 'eka build'; once the program runs, it is the program's.
    const [r] = await interruptible((signal) => buildPrepared(one, { store, onProgress: progress.onEvent, signal, ...(mirrors ? { mirrors } : {}) }), progress);
    storePath = (r as { storePath: string }).storePath;
  } finally {
    progress.finish();
  }
  // The program runs as a build step's command does (runProgram, in this thread): the closure
  // read-only, the cwd read-write, extra read-only directories (an eka-run script's); the
  // terminal's stdin read when the program asks, its output written as it is produced.
  const { runProgram } = await import("../../builder/index.node.ts");
  const cwd = process.cwd();
  const mounts: Mount[] = extraDirs.filter((d) => !isInside(d, cwd)).map((d) => ({ guest: d, readonly: true, host: d }));
  const r = await runProgram(storePath, `bin/${name}.wasm`, args, {
    store,
    hostCwd: cwd,
    env,
    argv0: name,
    mounts,
    deterministic: false,
    stdin: readStdin,
    stdout: (b) => writeFd(1, b),
    stderr: (b) => writeFd(2, b),
  });
  return r.exitCode;
}

function isInside(p: string, dir: string): boolean {
  const rel = relative(dir, p);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}
