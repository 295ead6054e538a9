// The sandbox of one package, assembled: /nix/store listing exactly the input closure and $out,
// each closure path mounted read-only at its own path, /build (sources, writable), $out (writable),
// the toolchains' fixed mounts (the seed's sysroot at /usr) and a fresh /tmp per command; the env
// every step starts from; and `locate`, which says where a guest path lives.
import { storePathOf } from "../ir/pid.ts";
import type { PackageIR } from "../ir/types.ts";
import type { ViewSpec } from "../runtime/filtered.ts";
import type { Store } from "../store/store.ts";
import { toolchainMounts } from "../toolchains/hooks.ts";
import type { Mount } from "./executor.ts";
import { copyInto, type SandboxHost, type WorkDir } from "./sandbox.ts";
import { copyPathSource, loadSource, type SourceHost } from "./sources.ts";

export const DEFAULT_SOURCE_DATE_EPOCH = "1";

/** Where a guest path lives: in a work directory (`rel` inside it) or in an input store path. */
export type Located = { dir: WorkDir; rel: string } | { store: string };
export type Locate = (guest: string) => Located | null;

/** What one command may see of the work directories. */
export interface WorkViews {
  build: ViewSpec;
  out: ViewSpec;
}

export interface PackageSandbox {
  readonly name: string;
  readonly outPath: string;
  /** Input name → store path. */
  readonly inputs: Readonly<Record<string, string>>;
  /** Every store path the sandbox shows besides $out. */
  readonly closure: readonly string[];
  readonly build: WorkDir;
  readonly out: WorkDir;
  /** The env every step starts from. */
  readonly env: Readonly<Record<string, string>>;
  locate: Locate;
  /** Replaces `$out` by the package's store path. */
  sub(s: string): string;
  /**
   * Digests of declared inputs already computed in this build (`declaredInputs`), by guest
   * pattern; a step's outputs drop the entries they may change (`forgetDigests`).
   */
  readonly digests: Map<string, { digest: string; matched: string[]; base: string }>;
  /**
   * The mounts of one command: the fixed ones and a fresh /tmp, removed by `release`. With
   * `views`, /build and $out show only those paths (a step's declared inputs and outputs).
   */
  commandMounts(views?: WorkViews): { mounts: Mount[]; release: () => void };
  /** Removes the work directories (all but $out with keepOut, which the caller disposes). */
  dispose(keepOut?: boolean): void;
}

/**
 * Assembles the sandbox of `ir` (store path `outPath`) over `closure`, the inputs' closure. Its
 * sources are not loaded yet: `loadSources` does that, inside the caller's cleanup.
 */
export function assembleSandbox(ir: PackageIR, outPath: string, closure: readonly string[], store: Store, sandboxes: SandboxHost): PackageSandbox {
  const inputs = inputPaths(ir);
  const build = sandboxes.workDir("build");
  const out = sandboxes.workDir("out");
  const scratch: WorkDir[] = [];
  // /nix/store itself lists exactly the closure and $out: empty directories, under the mounts of
  // the paths themselves, which win as longer guest prefixes.
  const storeView = sandboxes.workDir("store");
  scratch.push(storeView);
  for (const p of [...closure, outPath]) storeView.mkdirp(p.slice(p.lastIndexOf("/") + 1));
  const buildMount = build.mount("/build");
  const outMount = out.mount(outPath);
  const fixed: Mount[] = [
    { ...storeView.mount("/nix/store"), readonly: true },
    ...closure.map((p) => sandboxes.inputMount(store, p)),
    buildMount,
    outMount,
    ...toolchainMounts(inputs)
      .filter((m) => closure.includes(m.storePath))
      .map((m) => sandboxes.inputMount(store, m.storePath, m.path, m.guest)),
  ];
  const env: Record<string, string> = {
    ...ir.env,
    SOURCE_DATE_EPOCH: ir.env.SOURCE_DATE_EPOCH ?? DEFAULT_SOURCE_DATE_EPOCH,
    out: outPath,
    NIX_BUILD_TOP: "/build",
    TMPDIR: "/tmp",
    HOME: "/homeless-shelter",
  };
  const locate: Locate = (guest) => {
    if (guest === "/build" || guest.startsWith("/build/")) return { dir: build, rel: guest.slice(7) };
    if (guest === outPath || guest.startsWith(outPath + "/")) return { dir: out, rel: guest.slice(outPath.length + 1) };
    const p = closure.find((c) => guest === c || guest.startsWith(c + "/"));
    return p ? { store: p } : null;
  };
  return {
    digests: new Map(),
    name: ir.name,
    outPath,
    inputs,
    closure,
    build,
    out,
    env,
    locate,
    sub: (s) => s.split("$out").join(outPath),
    commandMounts(views) {
      const tmp = sandboxes.workDir("tmp");
      scratch.push(tmp);
      const viewed = views ? fixed.map((m) => (m === buildMount ? { ...m, view: views.build } : m === outMount ? { ...m, view: views.out } : m)) : fixed;
      return { mounts: [...viewed, tmp.mount("/tmp")], release: () => tmp.dispose() };
    },
    dispose(keepOut = false) {
      build.dispose();
      if (!keepOut) out.dispose();
      for (const d of scratch) d.dispose();
    },
  };
}

/**
 * Fetches (or reuses) and verifies every source into /build/<name>, before anything runs; a local
 * directory is copied by the host first and verified as copied.
 */
export async function loadSources(ir: PackageIR, sandbox: PackageSandbox, store: Store, sources: SourceHost): Promise<void> {
  for (const [name, spec] of Object.entries(ir.sources)) {
    if (spec.kind === "path" && copyPathSource(name, spec, sources, sandbox.build, name)) continue;
    const src = await loadSource(store, name, spec, sources);
    copyInto(src.reader, src.root, sandbox.build, name);
  }
}

/** Input name → store path (of a node, or as written). */
export function inputPaths(ir: PackageIR): Record<string, string> {
  return Object.fromEntries(Object.entries(ir.inputs).map(([k, v]) => [k, typeof v === "string" ? v : storePathOf(v)]));
}
