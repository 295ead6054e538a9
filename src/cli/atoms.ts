// Node-only: what `eka build`, `eka run` and `eka-run` share — load an atom graph, turn it into IR,
// build it through the builder's door with path sources mapped back to the atoms' directories.
import { existsSync, readdirSync } from "node:fs";
import { join, resolve as resolvePath } from "node:path";
import { missingSourceError } from "../atom/check-sources.node.ts";
import { MANIFEST_FILE } from "../atom/manifest.ts";
import { isEkaError } from "../errors.ts";
import { atomDirOf, loadAtomGraph, type AtomNode, type LoadOptions } from "../atom/resolve.node.ts";
import { cacheDir } from "../util/host.node.ts";
import { atomToIR, pathSourceKey, variantsOf, type Choices } from "../atom/to-ir.ts";
import { installedSeedPath, seedProvider } from "../bootstrap/seed.node.ts";
// Static: the door loads no build host until something is to be built, and an import() per call
// costs a no-op more than its store lookups.
import { buildEach, buildGraph, type RootOutcome } from "../builder/index.node.ts";
import type { Executor } from "../builder/executor.ts";
import type { BuildResult, ProgressEvent } from "../builder/types.ts";
import { initIR } from "../ir/pid.ts";
import type { PackageIR } from "../ir/types.ts";
import type { Store } from "../store/store.ts";

/**
 * The directory of the atom `ref` names: a path (relative to `baseDir`), or a git URI whose
 * highest tag matching `range` is checked out into the cache (once per commit).
 */
export async function atomDirFromRef(ref: string, range: string | undefined, baseDir: string, what: string): Promise<string> {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(ref)) return atomDirOf(resolvePath(baseDir, ref));
  const { gitTree, highestMatching, writeTreeTo } = await import("../atom/git.node.ts");
  const tag = await highestMatching(ref, range ?? "*", what);
  const dest = join(cacheDir(), "atoms", tag.rev);
  if (!existsSync(join(dest, MANIFEST_FILE))) await writeTreeTo(await gitTree(ref, tag.rev), dest);
  return dest;
}

/** `URI@RANGE` (a git atom) or a path, as `eka build`/`eka run` take ATOM. */
export async function atomDirFromArg(arg: string): Promise<string> {
  const m = /^([a-z][a-z0-9+.-]*:\/\/.*?)(?:@([^@/:]+))?$/i.exec(arg);
  return m ? atomDirFromRef(m[1] as string, m[2], process.cwd(), arg) : atomDirOf(arg);
}

/**
 * The atoms ATOM… names: each argument as atomDirFromArg takes it, except that a directory with
 * no atom.toml of its own but atoms in its subdirectories (a package set such as `pkgs/`) stands
 * for all of them, in name order.
 */
export async function atomDirsFromArgs(args: string[]): Promise<string[]> {
  const dirs: string[] = [];
  for (const arg of args) {
    const abs = resolvePath(arg);
    const set = !/^[a-z][a-z0-9+.-]*:\/\//i.test(arg) && !existsSync(join(abs, MANIFEST_FILE)) && atomsBelow(abs);
    if (set && set.length) dirs.push(...set.map((d) => atomDirOf(d)));
    else dirs.push(await atomDirFromArg(arg));
  }
  return [...new Set(dirs)];
}

function atomsBelow(dir: string): string[] | null {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, MANIFEST_FILE)))
      .map((e) => join(dir, e.name))
      .sort();
  } catch {
    return null;
  }
}

export interface PreparedAtom {
  graph: AtomNode;
  /** One root per selected host platform. */
  roots: PackageIR[];
}

/** Loads (and, unless frozen, resolves) the atom in `dir` and gives its IR roots. */
export async function prepareAtom(dir: string, choices: Choices, opts: LoadOptions = {}): Promise<PreparedAtom> {
  const [graph, seed] = await Promise.all([loadAtomGraph(dir, opts), seedPath(), initIR()]);
  const memo = opts.session?.irMemo ?? new Map();
  const roots = variantsOf(graph.manifest, choices).map((v) => atomToIR(graph, v, { seed }, memo));
  return { graph, roots };
}

/** The seed's store path (named by the installed @yowasp/clang version; nothing is read or hashed). */
export async function seedPath(): Promise<string> {
  await initIR();
  return installedSeedPath();
}

export interface BuildAtomOptions {
  store: Store;
  jobs?: number;
  check?: boolean;
  /** Re-hash outputs found in the store; rebuild damaged ones (BuildOptions.repair). */
  repair?: boolean;
  onProgress?: (e: ProgressEvent) => void;
  signal?: AbortSignal;
  /** Mirrors tried before urls (default EKA_MIRRORS). */
  mirrors?: string[];
  /** Runs the steps instead of the seed's module in workers (the bench's native-compiler baseline). */
  executor?: Executor;
}

/**
 * Builds the roots through the builder's door: a no-op answers from the store alone, loading no
 * build host; a build imports the seed if the store lacks it.
 */
export async function buildPrepared(p: PreparedAtom, opts: BuildAtomOptions): Promise<BuildResult[]> {
  return withSourcePositions(p.graph, buildGraph(p.roots, doorOptions([p], opts)));
}

/**
 * Builds several atoms as one graph (shared inputs once, independent packages in parallel); a
 * failure stops only the atoms that need what failed. One list of outcomes per atom, per root.
 */
export async function buildPreparedEach(ps: PreparedAtom[], opts: BuildAtomOptions): Promise<RootOutcome[][]> {
  const outcomes = await buildEach(ps.flatMap((p) => p.roots), doorOptions(ps, opts));
  let i = 0;
  return Promise.all(
    ps.map((p) =>
      Promise.all(
        outcomes.slice(i, (i += p.roots.length)).map(async (o): Promise<RootOutcome> => {
          if (o.ok) return o;
          const error = await withSourcePositions(p.graph, Promise.reject(o.error)).catch((e: unknown) => e);
          return { ...o, error };
        }),
      ),
    ),
  );
}

function doorOptions(ps: PreparedAtom[], opts: BuildAtomOptions) {
  const dirs = new Map<string, string>();
  for (const p of ps) pathSourceDirs(p.graph, dirs);
  const workers = process.env.EKA_WORKERS !== undefined ? Number(process.env.EKA_WORKERS) : opts.jobs;
  const base = ps[0]?.graph.dir ?? process.cwd();
  return {
    store: opts.store,
    ...(opts.jobs ? { jobs: opts.jobs } : {}),
    ...(opts.check ? { check: true } : {}),
    ...(opts.repair ? { repair: true } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.mirrors ? { mirrors: opts.mirrors } : {}),
    ...(opts.executor ? { executor: opts.executor } : {}),
    ...(workers !== undefined ? { workers } : {}),
    provideInput: seedProvider(opts.store),
    // Keys are made by pathSourceKey; anything else is a path as written, relative to the first atom.
    pathSource: (key: string) => dirs.get(key) ?? resolvePath(base, key),
  };
}

/**
 * A step that found a named file missing (E_MISSING_INPUT: a fetched source lacks it, which no
 * check could see before the fetch) is reported at the atom.toml entry that names the file.
 */
async function withSourcePositions<T>(g: AtomNode, build: Promise<T>): Promise<T> {
  try {
    return await build;
  } catch (e) {
    if (!isEkaError(e, "E_MISSING_INPUT")) throw e;
    const { package: pkg, guest } = (e.details ?? {}) as { package?: string; guest?: string };
    const atom = atomsOf(g).find((a) => a.manifest.atom.id === pkg);
    throw (atom && guest && missingSourceError(atom.manifest, guest)) || e;
  }
}

function atomsOf(g: AtomNode, out: AtomNode[] = []): AtomNode[] {
  if (!out.includes(g)) out.push(g);
  for (const d of Object.values(g.deps)) atomsOf(d, out);
  return out;
}

/** pathSourceKey → absolute directory or file, for every path source of the graph. */
function pathSourceDirs(g: AtomNode, out = new Map<string, string>()): Map<string, string> {
  const m = g.manifest;
  for (const s of [...Object.values(m.srcs), ...Object.values(m.pins)]) {
    if (s.kind === "path") out.set(pathSourceKey(m, s.path as string), resolvePath(g.dir, s.path as string));
  }
  for (const d of Object.values(g.deps)) pathSourceDirs(d, out);
  return out;
}

/** `--mirror DIR|URL…` (eka build, run): tried before the default mirrors; undefined keeps the defaults. */
export async function mirrorsOption(given: string[] | undefined): Promise<string[] | undefined> {
  return given ? [...given, ...(await import("../builder/sources.node.ts")).defaultMirrors()] : undefined;
}

/** `--frozen` and `--allow-outside`, as the atom loader takes them (eka build, run and resolve). */
export function loadOptions(values: { frozen?: boolean; "allow-outside"?: string[] }): { frozen?: boolean; allowOutside?: string[] } {
  return { ...(values.frozen ? { frozen: true } : {}), ...(values["allow-outside"] ? { allowOutside: values["allow-outside"] } : {}) };
}
