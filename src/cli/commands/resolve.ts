// Node-only: `eka resolve [ATOM]` — bring atom.lock in line with atom.toml.
import { atomDirOf, displayPath, loadAtomGraph } from "../../atom/resolve.node.ts";
import { parseCommand } from "../args.ts";
import { loadOptions } from "../atoms.ts";

export const summary = "Bring atom.lock in line with atom.toml";
export const help = `Usage: eka resolve [ATOM] [--frozen] [--allow-outside DIR]… [--json]

Checks the lock of the atom in ATOM (default: the current directory) and of the path atoms it
depends on. Entries that still answer atom.toml are kept; missing or stale ones are resolved:
git dependencies to the highest tag matching their version range, git sources to the commit
their ref names, url and path sources to the hash of their content. Writes are atomic.

Options:
      --frozen             Change nothing; fail (exit 1) if a lock is out of date
      --allow-outside DIR  Let path sources and dependencies reach DIR, outside the atom's
                           repository (repeatable; EKA_ALLOW_OUTSIDE=DIR:DIR… does the same)
      --json               Print the changes as JSON
  -h, --help               Show this help
`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand({ command: "eka resolve", help, options: { frozen: { type: "boolean" }, "allow-outside": { type: "string", multiple: true }, json: { type: "boolean" } }, args: { name: "ATOM", min: 0, max: 1 } }, argv);
  const dir = atomDirOf(positionals[0] ?? ".");
  const changes: { atom: string; entry: string; reason: string }[] = [];
  const g = await loadAtomGraph(dir, { ...loadOptions(values), onChange: (d, what, why) => changes.push({ atom: displayPath(d), entry: what, reason: why }) });
  const locked = { srcs: Object.keys(g.lock.srcs).length, pins: Object.keys(g.lock.pins).length, deps: Object.keys(g.lock.deps).length };
  if (values.json) process.stdout.write(JSON.stringify({ atom: g.manifest.atom.id, changes, locked }, null, 2) + "\n");
  else if (changes.length === 0) process.stdout.write(`${displayPath(dir)}/atom.lock is up to date\n`);
  else for (const c of changes) process.stdout.write(`${c.atom}/atom.lock: ${c.entry} (${c.reason}) → ${describe(g, c)}\n`);
  return 0;
}

/** What an entry of the root's lock now says (entries of other atoms' locks: just "updated"). */
function describe(g: Awaited<ReturnType<typeof loadAtomGraph>>, c: { atom: string; entry: string }): string {
  const [kind, name = ""] = c.entry.split(".") as ["srcs" | "pins" | "deps", string];
  const atoms = [g, ...Object.values(g.deps)];
  const node = atoms.find((a) => displayPath(a.dir) === c.atom);
  if (!node) return "updated";
  if (kind === "deps") {
    const d = node.lock.deps[name];
    return d ? `${d.id} ${d.version}${d.tag ? ` (${d.tag}, ${d.rev?.slice(0, 12)})` : ""}` : "removed";
  }
  const e = node.lock[kind]?.[name];
  return e ? `${e.rev ? `${e.rev.slice(0, 12)} ` : ""}${e.hash.slice(0, 19)}…` : "removed";
}
