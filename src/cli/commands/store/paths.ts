// Node-only: `eka store add|ls|path-info|cat|ls-tree` — put paths in the store and look at them.
import * as fs from "node:fs";
import * as path from "node:path";
import { EkaError } from "../../../errors.ts";
import { addSource, hostTree, nameProblem, sanitizeName, type PathInfo } from "../../../store/index.node.ts";
import { notInStore, out, outPaths, storeCommand, storePathArg, viewOf, write } from "./common.ts";

export const add = storeCommand({
  usage: "add PATH [--name NAME] [--json]",
  creates: true,
  summary: "Add a file or directory; prints its store path.",
  details: "The path is named after PATH's last component (characters a store path cannot hold become '-').",
  options: { name: { type: "string" }, json: { type: "boolean" } },
  flags: [
    ["--name NAME", "the store path's name (default: PATH's base name)"],
    ["--json", 'print {"storePath", "cid", "narHash", "narSize"} as JSON'],
  ],
  args: { name: "PATH", min: 1, max: 1 },
  run: async (a, { open }) => {
    const src = a.positionals[0] as string;
    const abs = path.resolve(src);
    if (!fs.existsSync(abs) && !isLink(abs)) throw new EkaError("E_NOT_FOUND", `cannot add '${src}': no such file or directory`);
    const name = a.values.name ?? sanitizeName(path.basename(abs));
    const problem = nameProblem(name);
    if (problem) throw new EkaError("E_BAD_STORE_NAME", `--name '${name}' is not a valid store path name: ${problem}`);
    const info = addSource(await open(), hostTree(abs), "", name);
    out(a.values.json ? JSON.stringify({ storePath: info.storePath, cid: info.cid, narHash: info.narHash, narSize: info.narSize }) : info.storePath);
    return 0;
  },
});

export const ls = storeCommand({
  usage: "ls [--json]",
  summary: "List every registered store path.",
  options: { json: { type: "boolean" } },
  flags: [["--json", "print a JSON array of store paths"]],
  run: async (a, { open }) => {
    outPaths((await open()).pathInfo.list(), a.values.json);
    return 0;
  },
});

export const pathInfo = storeCommand({
  usage: "path-info [--json] [--closure] PATH…",
  summary: "Show what the store records for paths: cid, references, NAR hash and size, pid, signatures.",
  details: "A PATH is a store path, or a result link pointing at one.",
  options: { json: { type: "boolean" }, closure: { type: "boolean" } },
  flags: [
    ["--closure", "also every path they refer to, directly or not"],
    ["--json", "print the path infos as a JSON array"],
  ],
  args: { name: "PATH", min: 1, max: Infinity },
  run: async (a, { open }) => {
    const store = await open();
    const asked = a.positionals.map((p) => storePathArg(p));
    for (const p of asked) if (!store.has(p)) throw notInStore(store, p);
    const paths = a.values.closure ? store.closure(asked) : asked;
    const infos = paths.map((p) => store.queryPathInfo(p) as PathInfo);
    if (a.values.json) out(JSON.stringify(infos, null, 2));
    else for (const i of infos) out(formatInfo(i));
    return 0;
  },
});

export const cat = storeCommand({
  usage: "cat STOREPATH[/SUB]",
  summary: "Write a file in the store to stdout.",
  options: {},
  flags: [],
  args: { name: "STOREPATH[/SUB]", min: 1, max: 1 },
  run: async (a, { open }) => {
    const arg = a.positionals[0] as string;
    const { tree, rel } = viewOf(await open(), arg);
    const st = tree.stat(rel);
    if (!st) throw new EkaError("E_NOT_FOUND", `${arg}: no such file in the store`);
    if (st.kind !== "file") throw new EkaError("E_NOT_FILE", `${arg} is a ${st.kind}, not a file${st.kind === "directory" ? " (use 'eka store ls-tree')" : ""}`);
    await write(tree.readFile(rel));
    return 0;
  },
});

export const lsTree = storeCommand({
  usage: "ls-tree [-R] [--json] STOREPATH[/SUB]",
  summary: "List a directory in the store (mode, size, name; -R recursively).",
  options: { recursive: { type: "boolean", short: "R" }, json: { type: "boolean" } },
  flags: [
    ["-R, --recursive", "list subdirectories too"],
    ["--json", 'print [{"path", "kind", "size", "executable", "target"?}] as JSON'],
  ],
  args: { name: "STOREPATH[/SUB]", min: 1, max: 1 },
  run: async (a, { open }) => {
    const arg = a.positionals[0] as string;
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
});

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
