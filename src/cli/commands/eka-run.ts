// Node-only: `eka-run SCRIPT [ARGS…]`, the shebang interpreter. A script starts with
//   #!/usr/bin/env eka-run
//   #! eka: ./upper@^1
// and its second line names the atom that interprets it (see docs/atom.md#eka-run).
import { readFileSync, realpathSync } from "node:fs";
import { dirname, resolve } from "node:path";
import semver from "semver";
import { EkaError } from "../../errors.ts";
import { parseCommand } from "../args.ts";
import { atomDirFromRef, prepareAtom } from "../atoms.ts";
import { runAtomProgram } from "./run.ts";

export const summary = "Run a script with the atom its second line names (shebang: #!/usr/bin/env eka-run)";
export const help = `Usage: eka-run SCRIPT [ARGS…]

Runs SCRIPT with the interpreter atom named on its second line:

  #!/usr/bin/env eka-run
  #! eka: ATOM[@RANGE] [PROGRAM]

ATOM is a path (relative to the script's directory) or a git URI; RANGE a semver range the
atom's version must satisfy (for a URI: the highest matching tag is used). PROGRAM picks one of
the atom's programs (default: its first). eka builds the atom if the store lacks it and runs
PROGRAM SCRIPT ARGS… in the sandbox, the current directory and the script's directory visible.
The comment marker may be '#!', '#', '//', '--' or ';'. Make the script executable and put
eka-run on PATH to run it as ./script. EKA_FROZEN=1 fails instead of updating a stale atom.lock
(as --frozen does for eka build).
`;

export interface ShebangLine {
  atom: string;
  range?: string;
  program?: string;
}

/** Parses a script's `eka:` line (its second line). */
export function parseShebang(text: string, file: string): ShebangLine {
  const lines = text.split(/\r?\n/, 3);
  if (!lines[0]?.startsWith("#!")) throw new EkaError("E_SHEBANG", `${file}:1: not a script: the first line should be '#!/usr/bin/env eka-run'`);
  const m = /^\s*(?:#!|#|\/\/|--|;)\s*eka:\s*(\S+)(?:\s+(\S+))?\s*$/.exec(lines[1] ?? "");
  if (!m) throw new EkaError("E_SHEBANG", `${file}:2: expected the interpreter atom, e.g. '#! eka: ./my-interp@^1' (ATOM[@RANGE] [PROGRAM]), got '${lines[1] ?? ""}'`);
  const spec = m[1] as string;
  // The range follows the last '@' when what follows is a range (a git URI may hold '@' itself).
  const at = spec.lastIndexOf("@");
  const tail = at > 0 ? spec.slice(at + 1) : "";
  const isRange = at > 0 && tail !== "" && semver.validRange(tail) !== null && !tail.includes("/") && !tail.includes(":");
  const atom = isRange ? spec.slice(0, at) : spec;
  return { atom, ...(isRange ? { range: tail } : {}), ...(m[2] ? { program: m[2] } : {}) };
}

export async function run(argv: string[]): Promise<number> {
  const { positionals } = parseCommand({ command: "eka-run", help, options: {}, args: { name: "SCRIPT", min: 1, max: Infinity }, passOn: "positional" }, argv);
  const [script, ...args] = positionals as [string, ...string[]];
  const file = resolve(script);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new EkaError("E_NO_SCRIPT", `cannot read script ${file}`);
  }
  const line = parseShebang(text, script);
  const dir = await atomDirFromRef(line.atom, line.range, dirname(realpathSync(file)), `${script}:2`);
  // A shebang passes no options, so --frozen comes from the environment here.
  const prepared = await prepareAtom(dir, {}, process.env.EKA_FROZEN === "1" ? { frozen: true } : {});
  const { version, id } = prepared.graph.manifest.atom;
  if (line.range && !semver.satisfies(version, line.range)) {
    throw new EkaError("E_SHEBANG", `${script}:2: the interpreter ${id} is version ${version}, which does not satisfy '${line.range}'; change the range or the atom`);
  }
  return runAtomProgram(prepared, line.program, [file, ...args], { EKA_SCRIPT: file }, [dirname(file)]);
}

