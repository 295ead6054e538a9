/**
 * What a browser tab's build worker holds: one store (`opfs:NAME`, or `memory:`), the seed (from
 * Cache Storage, compiled once, imported into a memory layer in front of the store so 100 MB of
 * compiler is not copied into OPFS), and a build host of memory sandboxes and the in-thread
 * executor. Atoms come from an in-memory tree of files through atom/memory.ts and atomToIR, the
 * code `eka build` uses, so pids, store paths and cids are the CLI's. Core: no DOM and no node:
 * module beyond what web/seed.ts and the OPFS backend take from the worker's globals.
 */
import { loadTreeAtom, subtree, type TreeAtomNode } from "../atom/memory.ts";
import { programsOf } from "../atom/to-ir.ts";
import { seedStorePath } from "../bootstrap/seed.ts";
import { buildGraph } from "../builder/build.ts";
import { InThreadExecutor } from "../builder/in-thread.ts";
import { MemorySandboxHost } from "../builder/memory-sandbox.ts";
import { runProgram } from "../builder/run-program.ts";
import type { SourceHost } from "../builder/sources.ts";
import { MemoryBuildState } from "../builder/state.ts";
import type { BuildHost, ProgressEvent } from "../builder/types.ts";
import { EkaError } from "../errors.ts";
import { pidOf, storePathOf } from "../ir/pid.ts";
import { LayeredBackend } from "../store/backends/layered.ts";
import { MemoryBackend } from "../store/backends/memory.ts";
import { OpfsBackend } from "../store/backends/opfs.ts";
import { MemoryTree } from "../store/memory-tree.ts";
import { storeFromBackend, type Store } from "../store/store.ts";
import { exportPaths, importPaths } from "../store/transfer.ts";
import { SEED_MODULE } from "../toolchains/clang/layout.ts";
import { loadSeed, type LoadedSeed, type SeedSource } from "./seed.ts";

export interface SessionOptions {
  /** `opfs:NAME` (persists across reloads) or `memory:`. */
  store: string;
  seed: SeedSource;
}

/** What the page shows of a build: the fields of `eka build --json`, plus what ran. */
export interface WebBuildResult {
  atom: string;
  version: string;
  pid: string;
  storePath: string;
  cid: string;
  built: boolean;
  programs: string[];
  /** Steps that ran (not from the action cache), by id, over every package built. */
  stepsRun: string[];
  stepsCached: string[];
  ms: number;
  /** The root package's build log, when it was built in this session. */
  log: string | null;
}

export interface StoreEntry {
  storePath: string;
  narSize: number;
  closureSize: number;
  references: string[];
  pid: string | null;
  cid: string;
  seed: boolean;
}

export class WebSession {
  private constructor(
    readonly store: Store,
    readonly seed: LoadedSeed,
    private readonly far: OpfsBackend | MemoryBackend,
    private readonly host: BuildHost,
    private readonly state: MemoryBuildState,
  ) {}

  static async open(opts: SessionOptions): Promise<WebSession> {
    const far = opts.store === "memory:" ? new MemoryBackend() : await OpfsBackend.open(opfsName(opts.store));
    const near = new MemoryBackend();
    const seedLayer = await storeFromBackend(near);
    const seed = await loadSeed(seedLayer, opts.seed);
    const store = await storeFromBackend(new LayeredBackend(near, far));
    const seedModuleKey = `${seed.storePath}/${SEED_MODULE}`;
    const compiled = Promise.resolve(seed.module);
    const state = new PersistedBuildState(far instanceof OpfsBackend ? far : undefined);
    const host: BuildHost = {
      executor: new InThreadExecutor({ compiled: (key) => (key === seedModuleKey ? compiled : undefined) }),
      sandboxes: new MemorySandboxHost(),
      sources: { readPath: async () => new MemoryTree() },
      state,
    };
    return new WebSession(store, seed, far, host, state);
  }

  /**
   * Builds the atom at `atomDir` of `files` (tree path → contents) and its path dependencies.
   * A path already in the store is answered without running anything.
   */
  async build(files: Record<string, string | Uint8Array>, atomDir: string, onProgress?: (e: ProgressEvent) => void): Promise<WebBuildResult> {
    const t0 = performance.now();
    const tree = treeOf(files);
    const atom = await loadTreeAtom(tree, atomDir, { seed: this.seed.storePath });
    const root = atom.roots[0];
    if (!root) throw new EkaError("E_NOT_BUILDABLE", `${atomDir}/atom.toml selects no host platform`);
    const sources: SourceHost = {
      readPath: async (key) => {
        const at = atom.pathSources.get(key);
        if (at === undefined) throw new EkaError("E_SOURCE", `no path source '${key}' in the editor's files`);
        const st = tree.stat(at);
        return st?.kind === "file" ? tree.readFile(at) : subtree(tree, at);
      },
    };
    const stepsRun: string[] = [];
    const stepsCached: string[] = [];
    let res;
    try {
      [res] = await buildGraph([root], {
        store: this.store,
        host: { ...this.host, sources },
        onProgress: (e) => {
          if (e.type === "step-done") (e.cached ? stepsCached : stepsRun).push(e.stepId);
          onProgress?.(e);
        },
      });
    } catch (e) {
      await this.flush();
      if (e instanceof EkaError && e.code === "E_BUILD_FAILED") {
        const log = this.state.readLog(String((e.details as { storePath?: string } | undefined)?.storePath ?? ""));
        throw new EkaError(e.code, e.message, { ...(e.details as object), log, diagnostics: diagnosticsOf(log ?? e.message, atom.graph, e.message) });
      }
      throw e;
    }
    await this.flush();
    if (!res) throw new Error("buildGraph gave no result");
    return {
      atom: atom.graph.manifest.atom.id,
      version: atom.graph.manifest.atom.version,
      pid: pidOf(root),
      storePath: storePathOf(root),
      cid: res.cid,
      built: res.built,
      programs: programsOf(atom.graph.manifest),
      stepsRun,
      stepsCached,
      ms: performance.now() - t0,
      log: this.state.readLog(res.storePath),
    };
  }

  /** Runs `bin/<program>` of a built path with its closure mounted; output streamed as written. */
  async run(storePath: string, program: string, args: string[], opts: { stdin?: Uint8Array; stdout?: (b: Uint8Array) => void; stderr?: (b: Uint8Array) => void } = {}) {
    const r = await runProgram(storePath, program, args, {
      store: this.store,
      executor: this.host.executor,
      sandboxes: this.host.sandboxes,
      deterministic: false,
      ...opts,
    });
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  }

  /** Every registered path, with sizes and references (the seed marked). */
  list(): StoreEntry[] {
    const infos = this.store.pathInfo.list().map((p) => this.store.queryPathInfo(p)).filter((i) => i !== null);
    return infos
      .map((i) => ({
        storePath: i.storePath,
        narSize: i.narSize,
        closureSize: this.store.closure([i.storePath]).reduce((n, p) => n + (this.store.queryPathInfo(p)?.narSize ?? 0), 0),
        references: i.references,
        pid: i.pid ?? null,
        cid: i.cid,
        seed: i.storePath === this.seed.storePath,
      }))
      .sort((a, b) => a.storePath.localeCompare(b.storePath));
  }

  /** The `eka store export` stream of `paths` and their closure. */
  exportPaths(paths: string[]): Uint8Array {
    const chunks = [...exportPaths(this.store, paths)];
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) out.set(c, (at += c.length) - c.length);
    return out;
  }

  /** Imports an `eka store export` stream; returns the paths it held. */
  async importPaths(bytes: Uint8Array): Promise<string[]> {
    const paths = await importPaths(this.store, [bytes], { where: "the imported file" });
    await this.flush();
    return paths;
  }

  async flush(): Promise<void> {
    if (this.far instanceof OpfsBackend) await this.far.flush();
  }
}

/** The seed's store path for a version, as the page shows it before the seed is loaded. */
export { seedStorePath };

function opfsName(address: string): string {
  if (!address.startsWith("opfs:")) throw new EkaError("E_STORE_ADDRESS", `cannot open store '${address}' in a browser: use 'opfs:NAME' (persistent) or 'memory:'`);
  return address.slice("opfs:".length);
}

function treeOf(files: Record<string, string | Uint8Array>): MemoryTree {
  const t = new MemoryTree();
  const enc = new TextEncoder();
  for (const [path, data] of Object.entries(files)) t.put(path, { kind: "file", data: typeof data === "string" ? enc.encode(data) : data, executable: false });
  return t;
}

/** A compiler diagnostic at its place in the editor's files. */
export interface Diagnostic {
  file: string;
  line: number;
  column: number;
  severity: string;
  message: string;
}

/**
 * clang's `/build/<source>/<file>:L:C: error: …` lines, mapped back to the files of the tree: the
 * source name is a [srcs] entry of an atom of the graph, its path source a directory of the tree.
 */
export function diagnosticsOf(log: string, graph: TreeAtomNode, failure = ""): Diagnostic[] {
  const atoms: TreeAtomNode[] = [];
  const walk = (n: TreeAtomNode) => {
    if (atoms.includes(n)) return;
    atoms.push(n);
    Object.values(n.deps).forEach(walk);
  };
  walk(graph);
  // The package that failed first: E_BUILD_FAILED starts with its name and version.
  atoms.sort((a, b) => Number(failure.startsWith(`${b.manifest.atom.id}-${b.manifest.atom.version}:`)) - Number(failure.startsWith(`${a.manifest.atom.id}-${a.manifest.atom.version}:`)));
  const out: Diagnostic[] = [];
  for (const m of log.matchAll(/\/build\/([^/\s]+)\/(\S+?):(\d+):(\d+): (error|warning|fatal error|note): (.*)/g)) {
    const [, src = "", rel = "", line = "0", column = "0", severity = "", message = ""] = m;
    for (const a of atoms) {
      const decl = a.manifest.srcs[src];
      if (decl?.kind !== "path") continue;
      const dir = [a.dir, decl.path as string].filter(Boolean).join("/").replace(/(^|\/)\.\//g, "$1");
      const file = `${dir}/${rel}`;
      if (out.some((d) => d.file === file && d.line === Number(line) && d.message === message)) break;
      out.push({ file, line: Number(line), column: Number(column), severity, message });
      break;
    }
  }
  return out;
}

/** The action cache kept beside an OPFS store, so an edit after a reload reruns only its steps. */
class PersistedBuildState extends MemoryBuildState {
  constructor(private readonly opfs: OpfsBackend | undefined) {
    super();
    for (const [k, v] of opfs?.actions ?? []) super.putAction(k, v);
  }
  override putAction(key: string, cid: string): void {
    super.putAction(key, cid);
    this.opfs?.putAction(key, cid);
  }
}
