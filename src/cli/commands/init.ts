// Node-only: `eka init [DIR] [--name NAME]` — a new buildable C atom with its lock.
import { existsSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { MANIFEST_FILE } from "../../atom/manifest.ts";
import { loadAtomGraph } from "../../atom/resolve.node.ts";
import { EkaError } from "../../errors.ts";
import { withHostIo } from "../../util/io-errors.ts";
import { makeDirs } from "../../util/host.node.ts";
import { parseCommand, UsageError } from "../args.ts";

export const summary = "Create a new atom (atom.toml, a C hello world, atom.lock)";
export const help = `Usage: eka init [DIR] [--name NAME]

Creates a C atom in DIR (default: the current directory): atom.toml, src/main.c (unless DIR
already has src/), and atom.lock. 'eka run DIR' then builds and runs it.

Options:
      --name NAME   The atom's id (default: the directory's name)
      --json        Print what was created as JSON
  -h, --help        Show this help
`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand({ command: "eka init", help, options: { name: { type: "string" }, json: { type: "boolean" } }, args: { name: "DIR", min: 0, max: 1 } }, argv);
  const dir = resolve(positionals[0] ?? ".");
  const name = values.name ?? basename(dir).toLowerCase().replace(/[^a-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "");
  if (!/^[A-Za-z0-9_][A-Za-z0-9_-]*$/.test(name)) throw new UsageError("eka init", `'${name}' cannot be an atom id; pass --name with letters, digits, _ and -`);
  const file = join(dir, MANIFEST_FILE);
  if (existsSync(file)) throw new EkaError("E_EXISTS", `${file} exists already; edit it, or choose another directory`);
  makeDirs(join(dir, "src"));
  const created = [file];
  const write = (path: string, text: string) => withHostIo({ path, doing: "writing the new atom" }, () => writeFileSync(path, text));
  write(
    file,
    `[atom]
id = "${name}"
version = "0.1.0"

[srcs.main]
path = "src"

[build]
kind = "c"
cflags = ["-O2"]

[build.bin.${name}]
sources = ["main.c"]
`,
  );
  const main = join(dir, "src", "main.c");
  if (!existsSync(main)) {
    write(main, `#include <stdio.h>\n\nint main(void) {\n  printf("hello from ${name}\\n");\n  return 0;\n}\n`);
    created.push(main);
  }
  await loadAtomGraph(dir);
  created.push(join(dir, "atom.lock"));
  if (values.json) process.stdout.write(JSON.stringify({ id: name, dir, created }, null, 2) + "\n");
  else process.stdout.write(`created ${name} in ${dir}\nrun it with: eka run ${positionals[0] ?? "."}\n`);
  return 0;
}
