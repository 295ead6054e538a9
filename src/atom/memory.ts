/**
 * Atoms from an in-memory tree (a browser tab, an edge worker): the pure part of loading. The
 * manifest is parsed by the same parser, the lock is answered the same way for path sources and
 * path dependencies (a path source's hash is store/'s contentHash of its tree, as the Node loader
 * and the builder compute it), and the IR then comes from to-ir.ts's atomToIR, so the pid is the
 * one `eka build` gives for the same files. `url`/`git` entries are taken from the tree's atom.lock
 * as written (this host cannot resolve them); anything unlocked is E_LOCK_STALE at its entry.
 */
import { EkaError } from "../errors.ts";
import type { PackageIR } from "../ir/types.ts";
import { initIR } from "../ir/pid.ts";
import { contentHash } from "../store/hash.ts";
import type { TreeReader } from "../store/types.ts";
import { initBlake3 } from "../util/blake3.ts";
import { manifestError } from "./errors.ts";
import { emptyLock, LOCK_FILE, parseLock, type Lock } from "./lock.ts";
import { MANIFEST_FILE, parseManifest, type Manifest } from "./manifest.ts";
import { atomToIR, pathSourceKey, variantsOf, type AtomGraph, type Choices } from "./to-ir.ts";

/** An atom of the tree: its directory in the tree ("" is the root), manifest, answered lock, deps. */
export interface TreeAtomNode extends AtomGraph {
  dir: string;
  manifest: Manifest;
  lock: Lock;
  deps: Record<string, TreeAtomNode>;
}

/** The loaded graph, its IR roots, and the path sources by the key the IR names them with. */
export interface TreeAtom {
  graph: TreeAtomNode;
  roots: PackageIR[];
  /** pathSourceKey → the directory (or file) of the tree it names, for the builder's SourceHost. */
  pathSources: Map<string, string>;
}

/**
 * Loads the atom at `dir` of `tree` and its path dependencies (relative to it, inside the tree),
 * and gives one IR root per selected host. `seed` is the seed's store path (bootstrap/seedStorePath).
 */
export async function loadTreeAtom(tree: TreeReader, dir: string, opts: { seed: string; choices?: Choices }): Promise<TreeAtom> {
  await Promise.all([initBlake3(), initIR()]);
  const loaded = new Map<string, TreeAtomNode>();
  const graph = loadOne(tree, normal(dir), [], loaded);
  const memo = new Map();
  const roots = variantsOf(graph.manifest, opts.choices ?? {}).map((v) => atomToIR(graph, v, { seed: opts.seed }, memo));
  const pathSources = new Map<string, string>();
  for (const node of loaded.values()) {
    for (const s of [...Object.values(node.manifest.srcs), ...Object.values(node.manifest.pins)]) {
      if (s.kind === "path") pathSources.set(pathSourceKey(node.manifest, s.path as string), joinTree(node.dir, s.path as string) as string);
    }
  }
  return { graph, roots, pathSources };
}

/** The file name an atom's manifest is reported under: `<dir>/atom.toml`. */
export function manifestFileOf(dir: string): string {
  return dir ? `${dir}/${MANIFEST_FILE}` : MANIFEST_FILE;
}

function loadOne(tree: TreeReader, dir: string, stack: string[], loaded: Map<string, TreeAtomNode>): TreeAtomNode {
  const seen = loaded.get(dir);
  if (seen) return seen;
  const file = manifestFileOf(dir);
  if (tree.stat(file)?.kind !== "file") throw new EkaError("E_NO_ATOM", `no ${MANIFEST_FILE} in '${dir || "."}'; add one (see docs/atom.md)`);
  const m = parseManifest(text(tree, file), file);
  const lockFile = dir ? `${dir}/${LOCK_FILE}` : LOCK_FILE;
  const written = tree.stat(lockFile)?.kind === "file" ? parseLock(text(tree, lockFile), lockFile) : emptyLock();
  const lock = emptyLock();
  const site = (path: string[]) => ({ file: m.file, positions: m.positions, path });

  for (const kind of ["srcs", "pins"] as const) {
    for (const [name, decl] of Object.entries(m[kind])) {
      if (decl.kind === "path") {
        const at = joinTree(dir, decl.path as string);
        if (at === undefined) throw manifestError("E_PATH_OUTSIDE", site([kind, name, "path"]), `path '${decl.path}' leaves the tree of atoms; name a directory inside it`, "value");
        if (at === dir) throw manifestError("E_SOURCE", site([kind, name, "path"]), `[${kind}.${name}] path '${String(decl.path)}' is the atom's own directory, which holds atom.lock; put the code in a subdirectory and name that (path = "src")`, "value");
        if (!tree.stat(at)) throw manifestError("E_SOURCE", site([kind, name, "path"]), `source path '${decl.path}' does not exist in the tree; add it or fix the path`, "value");
        const hash = contentHash(subtree(tree, at), "blake3");
        if (decl.hash && decl.hash !== hash) throw new EkaError("E_HASH_MISMATCH", `${kind}.${name}: hash mismatch for ${decl.path}\n  expected: ${decl.hash}\n  actual:   ${hash}\nIf the new content is trusted, put the actual hash in atom.toml.`, { expected: decl.hash, actual: hash });
        lock[kind][name] = { kind: "path", path: decl.path as string, hash };
        continue;
      }
      const old = written[kind][name];
      if (decl.hash && !old && decl.kind === "url") {
        lock[kind][name] = { kind: "url", url: decl.url as string, hash: decl.hash };
        continue;
      }
      if (!old || old.kind !== decl.kind || old.url !== decl.url || (decl.kind === "git" && old.ref !== decl.ref)) {
        throw new EkaError("E_LOCK_STALE", `${m.file}: ${kind}.${name} (a ${decl.kind} source) is not locked in ${lockFile}, and this host cannot resolve it; run 'eka resolve' where the network is and bring atom.lock along`);
      }
      lock[kind][name] = old;
    }
  }

  const node: TreeAtomNode = { dir, manifest: m, lock, deps: {} };
  loaded.set(dir, node);
  const chain = [...stack, dir];
  for (const [name, decl] of Object.entries(m.deps)) {
    if (decl.kind !== "path") throw new EkaError("E_LOCK_STALE", `${m.file}: deps.${name}: a git atom cannot be fetched in this host; only path dependencies inside the tree are loaded here`);
    const depDir = joinTree(dir, decl.path as string);
    if (depDir === undefined) throw manifestError("E_PATH_OUTSIDE", site(["deps", name, "path"]), `path '${decl.path}' leaves the tree of atoms; name an atom inside it`, "value");
    if (chain.includes(depDir)) {
      const ids = [...chain.slice(chain.indexOf(depDir)), depDir].map((d) => loaded.get(d)?.manifest.atom.id ?? d);
      throw manifestError("E_DEP_CYCLE", site(["deps", name]), `dependency cycle: ${ids.join(" → ")}. An atom cannot depend on itself through its dependencies; remove one of these [deps] entries`);
    }
    const dep = loadOne(tree, depDir, chain, loaded);
    lock.deps[name] = { kind: "path", path: decl.path as string, id: dep.manifest.atom.id, version: dep.manifest.atom.version };
    node.deps[name] = dep;
  }
  checkSources(tree, node);
  return node;
}

/** Every file a `sources` list (or a library's non-glob `headers`) names exists in its path source. */
function checkSources(tree: TreeReader, node: TreeAtomNode): void {
  const m = node.manifest;
  const b = m.build;
  if (!b) return;
  const lists = [
    ...Object.entries(b.lib).flatMap(([n, l]) => [["lib", n, "sources", l.sources] as const, ["lib", n, "headers", l.headers] as const]),
    ...Object.entries(b.bin).map(([n, e]) => ["bin", n, "sources", e.sources] as const),
  ];
  const src = m.srcs[b.src];
  if (src?.kind !== "path") return;
  const root = joinTree(node.dir, src.path as string) as string;
  for (const [kind, name, key, files] of lists) {
    files.forEach((f, i) => {
      if (f.includes("${") || f.startsWith("/") || (key === "headers" && /[*?[]/.test(f))) return;
      const at = joinTree(root, f);
      if (at !== undefined && tree.stat(at)) return;
      throw manifestError("E_SOURCE", { file: m.file, positions: m.positions, path: ["build", kind, name, key, String(i)] }, `[build.${kind}.${name}] ${key}: '${f}' does not exist (looked for ${at ?? f}); fix the name, or add the file`, "value");
    });
  }
}

/** `rel` (a path as atom.toml writes it) joined to `dir` of the tree; undefined when it climbs out. */
function joinTree(dir: string, rel: string): string | undefined {
  const out = dir ? dir.split("/") : [];
  for (const part of rel.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length === 0) return undefined;
      out.pop();
    } else out.push(part);
  }
  return out.join("/");
}

function normal(dir: string): string {
  return joinTree("", dir) ?? "";
}

function text(tree: TreeReader, file: string): string {
  return new TextDecoder().decode(tree.readFile(file));
}

/** `tree` re-rooted at `root`. */
export function subtree(tree: TreeReader, root: string): TreeReader {
  if (!root) return tree;
  const p = (s: string) => (s === "" ? root : `${root}/${s}`);
  return {
    stat: (s) => tree.stat(p(s)),
    readdir: (s) => tree.readdir(p(s)),
    readFile: (s) => tree.readFile(p(s)),
    readlink: (s) => tree.readlink(p(s)),
  };
}
