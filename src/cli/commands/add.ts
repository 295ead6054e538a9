// Node-only: `eka add URI|PATH [--version RANGE]` — add a dependency to atom.toml and lock it.
import { readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import semver from "semver";
import { gitTree, highestMatching } from "../../atom/git.node.ts";
import { MANIFEST_FILE, parseManifest } from "../../atom/manifest.ts";
import { atomDirOf, loadAtomGraph, readManifest } from "../../atom/resolve.node.ts";
import { atomicWrite } from "../../util/host.node.ts";
import { EkaError } from "../../errors.ts";
import { parseCommand, UsageError } from "../args.ts";

export const summary = "Add a dependency (git URI or local path) and lock it";
export const help = `Usage: eka add URI|PATH [--version RANGE] [--name NAME] [--atom DIR]

Adds a [deps.NAME] entry to atom.toml and resolves it into atom.lock. A URI (file://, https://,
ssh://, git@…) is a git repository whose semver tags are its versions; a PATH is a directory
holding an atom.toml. If resolving fails, atom.toml is left as it was.

Options:
      --version RANGE  Semver range (default for a URI: ^ of its highest tag)
      --name NAME      The dependency's name, used as from.NAME (default: the atom's id)
      --atom DIR       The atom to add to (default: the current directory)
      --json           Print the locked entry as JSON
  -h, --help           Show this help

Examples:
  eka add ../greet-lib
  eka add file:///srv/git/zlib-atom --version '^1.3'
`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(
    { command: "eka add", help, options: { version: { type: "string" }, name: { type: "string" }, atom: { type: "string" }, json: { type: "boolean" } }, args: { name: "URI or PATH", min: 1, max: 1 } },
    argv,
  );
  const target = positionals[0] as string;
  if (values.version !== undefined && semver.validRange(values.version) === null) throw new UsageError("eka add", `--version '${values.version}' is not a semver range; write e.g. "^1.2" or "*"`);
  const dir = atomDirOf(values.atom ?? ".");
  const isUri = /^[a-z][a-z0-9+.-]*:\/\//i.test(target) || /^[^/]+@[^/]+:/.test(target);
  let name = values.name;
  let lines: string[];
  if (isUri) {
    const tag = await highestMatching(target, values.version ?? "*", `eka add ${target}`);
    const range = values.version ?? `^${tag.version}`;
    if (name === undefined) {
      // Named after the atom's id, as path dependencies are.
      const entry = (await gitTree(target, tag.rev)).entry(MANIFEST_FILE);
      if (entry?.kind !== "file") throw new EkaError("E_NO_ATOM", `${target} at ${tag.tag} has no ${MANIFEST_FILE} at its root; it is not an atom`);
      name = parseManifest(new TextDecoder().decode(entry.data), `${target}@${tag.tag}/${MANIFEST_FILE}`).atom.id;
    }
    lines = [`url = ${JSON.stringify(target)}`, `version = ${JSON.stringify(range)}`];
  } else {
    const depDir = atomDirOf(resolve(target));
    name ??= readManifest(depDir).atom.id;
    const rel = relative(dir, depDir) || ".";
    lines = [`path = ${JSON.stringify(rel.startsWith(".") ? rel : `./${rel}`)}`, ...(values.version ? [`version = ${JSON.stringify(values.version)}`] : [])];
  }
  name = name.replace(/[^A-Za-z0-9_-]/g, "-");
  const file = join(dir, MANIFEST_FILE);
  const before = readFileSync(file, "utf8");
  const current = parseManifest(before, file);
  if (name in current.deps) throw new EkaError("E_EXISTS", `${file} already has [deps.${name}]; edit it there, or pass --name for another name`);
  const after = `${before.replace(/\n*$/, "\n")}\n[deps.${name}]\n${lines.join("\n")}\n`;
  parseManifest(after, file);
  atomicWrite(file, after);
  let g;
  try {
    g = await loadAtomGraph(dir);
  } catch (e) {
    writeFileSync(file, before);
    throw e;
  }
  const locked = g.lock.deps[name];
  if (values.json) process.stdout.write(JSON.stringify({ name, locked }, null, 2) + "\n");
  else process.stdout.write(`added ${name}: ${locked?.id} ${locked?.version}${locked?.tag ? ` (${locked.tag}, ${locked.rev?.slice(0, 12)})` : ""}\n`);
  return 0;
}
