// Node-only: `eka store <subcommand>` — inspect and maintain the store.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { EkaError } from "../../errors.ts";
import { didYouMean } from "../../util/suggest.ts";
import {
  addSource,
  collectGarbage,
  exportPaths,
  gcStore,
  fileBackendOf,
  hostTree,
  importPaths,
  openStore,
  defaultStoreAddress,
  restoreNar,
  sanitizeName,
  splitStorePath,
  verifyStore,
  nameProblem,
  parseStorePath,
  formatNarinfo,
  generateKeyPair,
  publicKeyOf,
  signPathInfo,
  validSignatures,
  writeBinaryCache,
  substituteFromCache,
  type PathInfo,
  type Store,
} from "../../store/index.node.ts";

export const summary = "inspect and maintain the store (add, ls, path-info, cat, dump, verify, gc, …)";

const subcommands: Record<string, { usage: string; about: string; options: NonNullable<ParseArgsConfig["options"]>; run: (store: () => Promise<Store>, a: Parsed) => Promise<number> }> = {
  add: {
    usage: "add PATH [--name NAME] [--json]",
    about: "Add a file or directory; prints its store path.",
    options: { name: { type: "string" }, json: { type: "boolean" } },
    run: async (open, a) => {
      const [src] = need(a, 1, "PATH");
      const abs = path.resolve(src);
      if (!fs.existsSync(abs) && !isLink(abs)) throw new EkaError("E_NOT_FOUND", `cannot add '${src}': no such file or directory`);
      const name = a.values.name !== undefined ? String(a.values.name) : sanitizeName(path.basename(abs));
      const problem = nameProblem(name);
      if (problem) throw new EkaError("E_BAD_STORE_NAME", `--name '${name}' is not a valid store path name: ${problem}`);
      const store = await open();
      const info = addSource(store, hostTree(abs), "", name);
      out(a.values.json ? JSON.stringify({ storePath: info.storePath, cid: info.cid, narHash: info.narHash, narSize: info.narSize }) : info.storePath);
      return 0;
    },
  },
  ls: {
    usage: "ls [--json]",
    about: "List every registered store path.",
    options: { json: { type: "boolean" } },
    run: async (open, a) => {
      const paths = (await open()).pathInfo.list();
      if (a.values.json) out(JSON.stringify(paths));
      else for (const p of paths) out(p);
      return 0;
    },
  },
  "path-info": {
    usage: "path-info [--json] [--closure] PATH…",
    about: "Show what the store records for paths: cid, references, NAR hash and size, pid, signatures.",
    options: { json: { type: "boolean" }, closure: { type: "boolean" } },
    run: async (open, a) => {
      const store = await open();
      const asked = need(a, 1, "PATH").map((p) => storePathArg(p));
      for (const p of asked) if (!store.has(p)) throw new EkaError("E_NOT_IN_STORE", `${p} is not in the store ${store.address}`);
      const paths = a.values.closure ? store.closure(asked) : asked;
      const infos = paths.map((p) => store.queryPathInfo(p) as PathInfo);
      if (a.values.json) out(JSON.stringify(infos, null, 2));
      else for (const i of infos) out(formatInfo(i));
      return 0;
    },
  },
  cat: {
    usage: "cat STOREPATH[/SUB]",
    about: "Write a file in the store to stdout.",
    options: {},
    run: async (open, a) => {
      const [arg] = need(a, 1, "STOREPATH[/SUB]");
      const { tree, rel } = viewOf(await open(), arg);
      const st = tree.stat(rel);
      if (!st) throw new EkaError("E_NOT_FOUND", `${arg}: no such file in the store`);
      if (st.kind !== "file") throw new EkaError("E_NOT_FILE", `${arg} is a ${st.kind}, not a file${st.kind === "directory" ? " (use 'eka store ls-tree')" : ""}`);
      await write(tree.readFile(rel));
      return 0;
    },
  },
  "ls-tree": {
    usage: "ls-tree [-R] [--json] STOREPATH[/SUB]",
    about: "List a directory in the store (mode, size, name; -R recursively).",
    options: { recursive: { type: "boolean", short: "R" }, json: { type: "boolean" } },
    run: async (open, a) => {
      const [arg] = need(a, 1, "STOREPATH[/SUB]");
      const { tree, rel } = viewOf(await open(), arg);
      const st = tree.stat(rel);
      if (!st) throw new EkaError("E_NOT_FOUND", `${arg}: no such file or directory in the store`);
      const rows: Array<{ path: string; kind: string; size: number; executable: boolean; target?: string }> = [];
      const walk = (p: string, shown: string) => {
        for (const name of tree.readdir(p).sort()) {
          const sub = `${p}/${name}`;
          const s = tree.stat(sub);
          if (!s) continue;
          const showName = shown ? `${shown}/${name}` : name;
          rows.push({ path: showName, kind: s.kind, size: s.size, executable: s.executable, ...(s.kind === "symlink" ? { target: tree.readlink(sub) } : {}) });
          if (s.kind === "directory" && a.values.recursive) walk(sub, showName);
        }
      };
      if (st.kind === "directory") walk(rel, "");
      else rows.push({ path: rel.slice(rel.lastIndexOf("/") + 1), kind: st.kind, size: st.size, executable: st.executable, ...(st.kind === "symlink" ? { target: tree.readlink(rel) } : {}) });
      if (a.values.json) out(JSON.stringify(rows));
      else for (const r of rows) out(`${mode(r.kind, r.executable)} ${String(r.size).padStart(10)} ${r.path}${r.target !== undefined ? ` -> ${r.target}` : ""}`);
      return 0;
    },
  },
  dump: {
    usage: "dump STOREPATH > FILE.nar",
    about: "Write the NAR serialisation of a store path to stdout (byte-identical to nix-store --dump).",
    options: {},
    run: async (open, a) => {
      const [arg] = need(a, 1, "STOREPATH");
      refuseTty("dump");
      const store = await open();
      const p = storePathArg(arg);
      if (!store.has(p)) throw new EkaError("E_NOT_IN_STORE", `${p} is not in the store ${store.address}`);
      for (const chunk of store.dump(p)) await write(chunk);
      return 0;
    },
  },
  restore: {
    usage: "restore DIR < FILE.nar",
    about: "Unpack a NAR from stdin into DIR (which must not exist), like nix-store --restore.",
    options: {},
    run: async (_open, a) => {
      const [dir] = need(a, 1, "DIR");
      await restoreNar(process.stdin, dir, "the NAR on stdin");
      return 0;
    },
  },
  verify: {
    usage: "verify [--check-contents] [--trusted-key NAME:BASE64]… [--json]",
    about: "Check every path's objects exist and agree; --check-contents re-hashes every object and NAR; --trusted-key requires signatures.",
    options: { "check-contents": { type: "boolean" }, "trusted-key": { type: "string", multiple: true }, json: { type: "boolean" } },
    run: async (open, a) => {
      const store = await open();
      const keys = a.values["trusted-key"] as string[] | undefined;
      const r = verifyStore(store, { checkContents: !!a.values["check-contents"], ...(keys ? { trustedKeys: keys } : {}) });
      if (a.values.json) out(JSON.stringify(r, null, 2));
      else {
        for (const p of r.problems) process.stderr.write(`eka: ${p.code}: ${p.message}\n`);
        out(`${r.paths} paths${a.values["check-contents"] ? `, ${r.objects} objects re-hashed` : ""}: ${r.problems.length ? `${r.problems.length} problem(s)` : "ok"}`);
      }
      return r.problems.length ? 1 : 0;
    },
  },
  gc: {
    usage: "gc [--dry-run] [--json]",
    about: "Delete every path not reachable from a gc root (e.g. a live 'result' link); reports what is freed.",
    options: { "dry-run": { type: "boolean" }, json: { type: "boolean" } },
    run: async (open, a) => {
      const store = await open();
      const dryRun = !!a.values["dry-run"];
      const r = fileBackendOf(store.backend) ? gcStore(store, { dryRun }) : collectGarbage(store, [], { dryRun });
      if (a.values.json) out(JSON.stringify(r, null, 2));
      else {
        for (const p of r.deadPaths) out(`${dryRun ? "would delete" : "deleted"} ${p}`);
        out(`${dryRun ? "would free" : "freed"} ${r.freedBytes} bytes (${r.deadPaths.length} paths, ${r.deletedObjects} objects); ${r.livePaths} live paths kept`);
      }
      return 0;
    },
  },
  export: {
    usage: "export STOREPATH… > FILE",
    about: "Write the paths and their closure (NARs with path info) to stdout, for 'eka store import'.",
    options: {},
    run: async (open, a) => {
      const paths = need(a, 1, "STOREPATH").map((p) => storePathArg(p));
      refuseTty("export");
      const store = await open();
      for (const chunk of exportPaths(store, paths)) await write(chunk);
      return 0;
    },
  },
  keygen: {
    usage: "keygen NAME --secret-file FILE",
    about: "Make an ed25519 signing key in Nix's format: writes the secret key (mode 600), prints the public key.",
    options: { "secret-file": { type: "string" } },
    run: async (_open, a) => {
      const [name] = need(a, 1, "NAME");
      const file = a.values["secret-file"];
      if (typeof file !== "string") throw new UsageError("missing --secret-file FILE");
      const keys = generateKeyPair(name);
      fs.writeFileSync(file, keys.secretKey, { mode: 0o600, flag: "wx" });
      out(keys.publicKey);
      return 0;
    },
  },
  sign: {
    usage: "sign --key-file FILE STOREPATH…",
    about: "Sign store paths with a Nix-format secret key (as 'nix store sign' does).",
    options: { "key-file": { type: "string" } },
    run: async (open, a) => {
      const file = a.values["key-file"];
      if (typeof file !== "string") throw new UsageError("missing --key-file FILE");
      const secret = readKey(file);
      const store = await open();
      for (const arg of need(a, 1, "STOREPATH")) {
        const p = storePathArg(arg);
        const info = store.queryPathInfo(p);
        if (!info) throw new EkaError("E_NOT_IN_STORE", `${p} is not in the store ${store.address}`);
        store.register({ ...info, signatures: [signPathInfo(info, secret)] });
        out(p);
      }
      return 0;
    },
  },
  narinfo: {
    usage: "narinfo [--trusted-key NAME:BASE64]… STOREPATH",
    about: "Print the path's narinfo (uncompressed NAR at nar/<hash>.nar); with --trusted-key, fail unless signed by one.",
    options: { "trusted-key": { type: "string", multiple: true } },
    run: async (open, a) => {
      const [arg] = need(a, 1, "STOREPATH");
      const store = await open();
      const p = storePathArg(arg);
      const info = store.queryPathInfo(p);
      if (!info) throw new EkaError("E_NOT_IN_STORE", `${p} is not in the store ${store.address}`);
      const keys = a.values["trusted-key"] as string[] | undefined;
      if (keys && validSignatures(info, keys).length === 0) {
        throw new EkaError("E_BAD_SIGNATURE", `${p} has no valid signature by a trusted key (signatures by: ${info.signatures.map((x) => x.split(":")[0]).join(", ") || "none"})`);
      }
      const file = info.narHash.slice("sha256:".length);
      process.stdout.write(formatNarinfo({ ...info, url: `nar/${file}.nar`, compression: "none", fileHash: info.narHash, fileSize: info.narSize }));
      return 0;
    },
  },
  cache: {
    usage: "cache DIR STOREPATH… [--key-file FILE]",
    about: "Write the paths' closure as a Nix binary cache in DIR (narinfo + NAR), signed with --key-file; 'nix copy --from file://DIR' reads it.",
    options: { "key-file": { type: "string" } },
    run: async (open, a) => {
      const [dir, ...rest] = need(a, 2, "DIR STOREPATH");
      const key = a.values["key-file"];
      const store = await open();
      const r = writeBinaryCache(store, dir, rest.map((p) => storePathArg(p)), typeof key === "string" ? { secretKey: readKey(key) } : {});
      for (const p of r.written) out(p);
      return 0;
    },
  },
  substitute: {
    usage: "substitute --from DIR|URL [--trusted-key NAME:BASE64]… STOREPATH…",
    about: "Import paths and their references from a Nix binary cache: a directory 'nix copy --to file://DIR' made, or an http(s):// cache; NARs uncompressed or xz.",
    options: { from: { type: "string" }, "trusted-key": { type: "string", multiple: true } },
    run: async (open, a) => {
      const from = a.values.from;
      if (typeof from !== "string") throw new UsageError("missing --from DIR|URL");
      const paths = need(a, 1, "STOREPATH").map((p) => storePathArg(p));
      const keys = a.values["trusted-key"] as string[] | undefined;
      const store = await open();
      for (const p of await substituteFromCache(store, from, paths, keys ? { trustedKeys: keys } : {})) out(p);
      return 0;
    },
  },
  import: {
    usage: "import [--trusted-key NAME:BASE64]… [--json] < FILE",
    about: "Import paths written by 'eka store export'; with --trusted-key every path must be signed by one.",
    options: { "trusted-key": { type: "string", multiple: true }, json: { type: "boolean" } },
    run: async (open, a) => {
      const store = await open();
      const keys = a.values["trusted-key"] as string[] | undefined;
      const paths = await importPaths(store, process.stdin, { where: "the export on stdin", ...(keys ? { trustedKeys: keys } : {}) });
      if (a.values.json) out(JSON.stringify(paths));
      else for (const p of paths) out(p);
      return 0;
    },
  },
};

export const help = `Usage: eka store [--store ADDRESS] <subcommand> [options]

Inspect and maintain the content-addressed store.

Subcommands:
${Object.values(subcommands)
  .map((s) => `  ${s.usage}\n      ${s.about}`)
  .join("\n")}

Options:
  --store ADDRESS   memory:, file:///dir, a directory, or NEAR|FAR (default: $EKA_STORE,
                    else $XDG_DATA_HOME/eka/store, else ~/.local/share/eka/store)
  -h, --help        this help ('eka store <subcommand> --help' for one subcommand)
`;

interface Parsed {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
  name: string;
}

export async function run(argv: string[]): Promise<number> {
  // Find the subcommand: the first positional, wherever --store sits.
  const pre = parseArgs({ args: argv, options: { store: { type: "string" }, help: { type: "boolean", short: "h" } }, strict: false, allowPositionals: true, tokens: true });
  const first = pre.tokens.find((t) => t.kind === "positional");
  if (!first) {
    process.stdout.write(help);
    return pre.values.help ? 0 : 2;
  }
  const name = first.value;
  const sub = subcommands[name];
  if (!sub) {
    const near = didYouMean(name, Object.keys(subcommands));
    process.stderr.write(`eka store: unknown subcommand '${name}'${near ? ` (did you mean '${near}'?)` : ""}\nRun 'eka store --help' for the list.\n`);
    return 2;
  }
  const rest = [...argv.slice(0, first.index), ...argv.slice(first.index + 1)];
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...sub.options, store: { type: "string" }, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: true });
  } catch (e) {
    process.stderr.write(`eka store ${name}: ${e instanceof Error ? e.message : String(e)}\nUsage: eka store ${sub.usage}\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(`Usage: eka store [--store ADDRESS] ${sub.usage}\n\n${sub.about}\n`);
    return 0;
  }
  const address = typeof parsed.values.store === "string" ? parsed.values.store : defaultStoreAddress();
  let store: Store | undefined;
  const open = async () => (store ??= await openStore(address));
  try {
    return await sub.run(open, { values: parsed.values, positionals: parsed.positionals, name });
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`eka store ${name}: ${e.message}\nUsage: eka store ${sub.usage}\n`);
      return 2;
    }
    throw e;
  } finally {
    store?.close();
  }
}

class UsageError extends Error {}

function need(a: Parsed, min: number, what: string): [string, ...string[]] {
  if (a.positionals.length < min) throw new UsageError(`missing ${what}`);
  if (min === 1 && a.positionals.length > 1 && !["path-info", "export", "sign", "substitute"].includes(a.name)) throw new UsageError(`expected one ${what}, got ${a.positionals.length}`);
  return a.positionals as [string, ...string[]];
}

/** A store path argument: a /nix/store path, or a result link / checkout pointing at one. */
function storePathArg(arg: string): string {
  return splitStorePath(resolveArg(arg)).storePath;
}

function resolveArg(arg: string): string {
  if (arg.startsWith("/nix/store/")) return arg;
  try {
    const target = fs.realpathSync(arg);
    const m = /\/checkout\/([^/]+)(\/.*)?$/.exec(target);
    if (m) return `/nix/store/${m[1]}${m[2] ?? ""}`;
  } catch {
    // fall through to the store path parser's error
  }
  parseStorePath(arg);
  return arg;
}

function viewOf(store: Store, arg: string) {
  const { storePath, sub } = splitStorePath(resolveArg(arg));
  if (!store.has(storePath)) throw new EkaError("E_NOT_IN_STORE", `${storePath} is not in the store ${store.address}`);
  const base = parseStorePath(storePath).basename;
  return { tree: store.view([storePath]), rel: sub ? `${base}/${sub}` : base };
}

/** A secret key file as Nix writes it (`name:base64`, maybe with a trailing newline). */
function readKey(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8").trim();
  } catch {
    throw new EkaError("E_NOT_FOUND", `cannot read the key file ${file}`);
  }
  publicKeyOf(text);
  return text;
}

function formatInfo(i: PathInfo): string {
  return [
    i.storePath,
    `  cid          ${i.cid}`,
    `  pid          ${i.pid ?? "-"}`,
    `  nar hash     ${i.narHash}`,
    `  nar size     ${i.narSize}`,
    `  references   ${i.references.length ? i.references.join("\n               ") : "-"}`,
    `  signatures   ${i.signatures.length ? i.signatures.join("\n               ") : "-"}`,
    `  registered   ${new Date(i.registrationTime * 1000).toISOString()}`,
  ].join("\n");
}

function mode(kind: string, executable: boolean): string {
  if (kind === "directory") return "dr-xr-xr-x";
  if (kind === "symlink") return "lrwxrwxrwx";
  return executable ? "-r-xr-xr-x" : "-r--r--r--";
}

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function refuseTty(what: string): void {
  if (process.stdout.isTTY) throw new EkaError("E_TTY", `'eka store ${what}' writes binary data; redirect stdout to a file (e.g. > out.nar)`);
}

function out(line: string): void {
  process.stdout.write(line + "\n");
}

function write(chunk: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(chunk, (err) => (err ? reject(err) : resolve()));
  });
}
