// Node-only: `eka mirror add|verify` — a content-addressed mirror of source files: a directory
// holding each file as sha256/<hex>, which url sources are fetched from before their url
// (EKA_MIRRORS, --mirror, and the default one in the cache directory).
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { join } from "node:path";
import { defaultMirrorDir } from "../../builder/sources.node.ts";
import { EkaError } from "../../errors.ts";
import { makeDirs, tempNameFor } from "../../util/host.node.ts";
import { hostIoError, withHostIo } from "../../util/io-errors.ts";
import { parseCommand, runSubcommand, type Command } from "../args.ts";

export const summary = "File source tarballs in a content-addressed mirror (add, verify)";

const MIRROR_LINE = `  --mirror DIR  the mirror directory (default: $EKA_CACHE/mirror, which builds always try)`;

const add: Command = {
  summary: "File source tarballs in a mirror by their sha256",
  help: `Usage: eka mirror add [--mirror DIR] [--json] FILE…

Copies each FILE into the mirror as sha256/<hex of its bytes>, whatever its name, so a url
source pinned with that hash is found there (offline, or when upstream has moved). A file already
there is kept. Prints 'sha256:<hex>  FILE' per file: the hash to pin in atom.toml.

Options:
${MIRROR_LINE}
  --json        print [{"file", "hash", "added"}] as JSON
  -h, --help    show this help
`,
  async run(argv) {
    const { values, positionals } = parseCommand({ command: "eka mirror add", help: add.help, options: { mirror: { type: "string" }, json: { type: "boolean" } }, args: { name: "FILE", min: 1, max: Infinity } }, argv);
    const dir = join(values.mirror ?? defaultMirrorDir(), "sha256");
    withHostIo({ path: dir }, () => makeDirs(dir));
    const results = [];
    for (const file of positionals) {
      const hex = await sha256File(file);
      const dest = join(dir, hex);
      const added = !fs.existsSync(dest) || (await sha256File(dest)) !== hex;
      if (added) copyAtomically(file, dest);
      results.push({ file, hash: `sha256:${hex}`, added });
    }
    if (values.json) process.stdout.write(JSON.stringify(results, null, 2) + "\n");
    else for (const r of results) process.stdout.write(`${r.hash}  ${r.file}${r.added ? "" : "  (already there)"}\n`);
    return 0;
  },
};

const verify: Command = {
  summary: "Re-hash a mirror's files",
  help: `Usage: eka mirror verify [--json] [DIR]

Re-hashes every file of the mirror DIR (default: $EKA_CACHE/mirror) and reports each one whose
bytes do not match its name, and anything that is not a <algo>/<hex> file. Builds never use a
file that does not match (the hash is checked on every fetch), so a bad file only costs a
download; remove it, or file it again with 'eka mirror add'. Exit status 1 if any is bad.

Options:
  --json      print {"files", "bad": [{"file", "actual"}], "stray": [...]} as JSON
  -h, --help  show this help
`,
  async run(argv) {
    const { values, positionals } = parseCommand({ command: "eka mirror verify", help: verify.help, options: { json: { type: "boolean" } }, args: { name: "DIR", min: 0, max: 1 } }, argv);
    const root = positionals[0] ?? defaultMirrorDir();
    if (!fs.existsSync(root)) throw new EkaError("E_NO_MIRROR", `no mirror at ${root}; make one with 'eka mirror add --mirror ${root} FILE…' or scripts/fill-mirror.sh ${root}`);
    let files = 0;
    const bad: { file: string; actual: string }[] = [];
    const stray: string[] = [];
    for (const algo of withHostIo({ path: root }, () => fs.readdirSync(root)).sort()) {
      const sub = join(root, algo);
      if (algo.startsWith(".") && fs.statSync(sub).isDirectory()) continue;
      if (algo !== "sha256") {
        stray.push(sub);
        continue;
      }
      for (const name of fs.readdirSync(sub).sort()) {
        const file = join(sub, name);
        if (!/^[0-9a-f]{64}$/.test(name) || !fs.statSync(file).isFile()) {
          stray.push(file);
          continue;
        }
        files++;
        const actual = await sha256File(file);
        if (actual !== name) bad.push({ file, actual: `sha256:${actual}` });
      }
    }
    if (values.json) process.stdout.write(JSON.stringify({ mirror: root, files, bad, stray }, null, 2) + "\n");
    else {
      for (const b of bad) process.stderr.write(`eka: E_HASH_MISMATCH: ${b.file}: its bytes hash to ${b.actual}; remove it (builds skip it) or 'eka mirror add' the right file\n`);
      for (const s of stray) process.stderr.write(`eka: stray ${s}: not a sha256/<64 hex> file; a mirror holds only those\n`);
      process.stdout.write(`${root}: ${files} files re-hashed: ${bad.length ? `${bad.length} bad` : "ok"}${stray.length ? `, ${stray.length} stray` : ""}\n`);
    }
    return bad.length || stray.length ? 1 : 0;
  },
};

const subcommands = { add, verify };
export const help = `Usage: eka mirror <subcommand> [options]

A mirror is a directory of source files named by their hash (sha256/<hex>). Builds try, in
order, each --mirror given to 'eka build'/'eka run', each entry of EKA_MIRRORS (directories or
http(s) base URLs, separated by spaces or ':'), and $EKA_CACHE/mirror, before a source's url;
any file whose hash matches is used. scripts/fill-mirror.sh fills one from Debian's sources.

Subcommands:
  add [--mirror DIR] FILE…   file FILEs in the mirror by their sha256
  verify [DIR]               re-hash a mirror's files
`;

export async function run(argv: string[]): Promise<number> {
  return runSubcommand("eka mirror", help, subcommands, argv);
}

/** The sha256 of a file, read in chunks (a tarball of any size costs one chunk of memory). */
async function sha256File(file: string): Promise<string> {
  const h = createHash("sha256");
  try {
    for await (const chunk of fs.createReadStream(file)) h.update(chunk as Buffer);
  } catch (e) {
    throw hostIoError(e, { path: file }) ?? e;
  }
  return h.digest("hex");
}

/** Copies into a temp name beside `dest`, then renames: a reader never sees half a file. */
function copyAtomically(src: string, dest: string): void {
  const tmp = tempNameFor(dest);
  try {
    fs.copyFileSync(src, tmp);
    fs.chmodSync(tmp, 0o444);
    fs.renameSync(tmp, dest);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw hostIoError(e, { path: dest }) ?? e;
  }
}
