/**
 * atom → package IR. One IR node per atom and host platform; a dependency's node (built for the
 * same host) is an input of its dependent. The configuration that reaches the build (platform,
 * provide choices, pin entries and args) sits in the IR's `config`, so it is part of the pid:
 * the same atom, version and choices give the same pid, another choice another pid.
 */
import { EkaError } from "../errors.ts";
import { IR_VERSION, type ArchiveFormat, type PackageIR, type SourceSpec } from "../ir/types.ts";
import { storePathOf } from "../ir/pid.ts";
import { cbuildSteps, type CBuildSpec } from "../toolchains/cbuild/index.ts";
import { didYouMean } from "../util/suggest.ts";
import { manifestError, type Site } from "./errors.ts";
import { interpolate, type Vars } from "./interpolate.ts";
import type { Lock, LockedSource } from "./lock.ts";
import { manifestVar, pinArg, type Manifest } from "./manifest.ts";

/** What atom → IR needs of a loaded atom (resolve.node.ts's AtomNode has it). */
export interface AtomGraph {
  manifest: Manifest;
  lock: Lock;
  deps: Record<string, AtomGraph>;
}

/** Choices from the command line: `host` and provide names (`cc`, `libc`, …) → choice. */
export type Choices = Record<string, string>;

/** One configuration of an atom: a host platform and a choice for each of its provides. */
export interface Variant {
  host: string;
  provide: Record<string, string>;
}

export interface IROptions {
  /** Store path of the seed (build/seed.ts seedStorePath), an input of every C build. */
  seed: string;
}

/** The variants `choices` select: every host unless `host` is chosen; checks every choice. */
export function variantsOf(m: Manifest, choices: Choices): Variant[] {
  const names = ["host", ...Object.keys(m.provide)];
  for (const [k, v] of Object.entries(choices)) {
    if (k === "host") {
      if (!m.platform.hosts.includes(v)) throw new EkaError("E_VARIANT", `--host=${v}: ${m.atom.id} builds for ${m.platform.hosts.join(", ")} ([platform] host in ${m.file}); choose one of those or add '${v}' there`);
      continue;
    }
    const list = m.provide[k];
    if (!list) {
      const near = didYouMean(k, names);
      throw new EkaError("E_VARIANT", `--${k}: ${m.atom.id} has no variant '${k}'${near ? ` (did you mean --${near}?)` : ""}; its variants are ${names.map((n) => `--${n}`).join(", ")} ([provide] and [platform] in ${m.file})`);
    }
    if (!list.includes(v)) throw new EkaError("E_VARIANT", `--${k}=${v}: '${v}' is not a choice for '${k}' in ${m.atom.id}; the choices are ${list.join(", ")} (the first is the default; [provide] in ${m.file})`);
  }
  const provide: Record<string, string> = {};
  for (const [k, list] of Object.entries(m.provide)) provide[k] = choices[k] ?? (list[0] as string);
  const hosts = choices.host ? [choices.host] : m.platform.hosts;
  return hosts.map((host) => ({ host, provide }));
}

/**
 * Where a `path` source of an atom points in the IR: `<atom id>/<path as written>`, independent of
 * where the checkout sits, so a clone elsewhere gets the same pid. The build host maps it back to
 * the directory (see atom/build.node.ts).
 */
export function pathSourceKey(m: Manifest, path: string): string {
  return `${m.atom.id}@${m.atom.version}/${path}`;
}

/** The IR of `g` for one variant; dependencies get the same host and the choices they also list. */
export function atomToIR(g: AtomGraph, variant: Variant, opts: IROptions, memo = new Map<AtomGraph, Map<string, PackageIR>>()): PackageIR {
  const key = JSON.stringify(variant);
  let perAtom = memo.get(g);
  const hit = perAtom?.get(key);
  if (hit) return hit;
  const m = g.manifest;
  if (m.atom.type !== "package") throw new EkaError("E_NOT_BUILDABLE", `${m.file}: ${m.atom.id} has type '${m.atom.type}'; only type "package" atoms are buildable so far`);
  if (!m.build) throw new EkaError("E_NOT_BUILDABLE", `${m.file}: ${m.atom.id} has no [build] table; add one (kind = "c", …; see docs/atom.md) to make it buildable`);
  const b = m.build;

  const deps: Record<string, PackageIR> = {};
  let libc: string | undefined;
  for (const [name, dg] of Object.entries(g.deps)) {
    // A dependency that provides a choice (the libc built from source) is an input only when chosen.
    const provides = m.deps[name]?.provides;
    if (provides !== undefined && variant.provide[provides] !== name) continue;
    const dm = dg.manifest;
    const provide: Record<string, string> = {};
    for (const [k, list] of Object.entries(dm.provide)) provide[k] = variant.provide[k] && list.includes(variant.provide[k]) ? variant.provide[k] : (list[0] as string);
    deps[name] = atomToIR(dg, { host: variant.host, provide }, opts, memo);
  }

  const sources = lockedSources(g);
  const platform = { build: m.platform.build, host: variant.host };
  const pins = pinConfig(m, platform);

  const depPaths = Object.fromEntries(Object.entries(deps).map(([n, ir]) => [n, storePathOf(ir)]));
  for (const [n, d] of Object.entries(m.deps)) if (d.provides === "libc" && depPaths[n]) libc = depPaths[n];
  const vars: Vars = (n) => {
    if (n === "platform.build") return platform.build;
    if (n === "platform.host") return platform.host;
    if (n.startsWith("get.") && (n.slice(4) in m.srcs || n.slice(4) in m.pins)) return `/build/${n.slice(4) in m.srcs ? n.slice(4) : `pins.${n.slice(4)}`}`;
    if (n.startsWith("from.")) return depPaths[n.slice(5)];
    return manifestVar(m, n);
  };
  const avail = ["platform.build", "platform.host", "get.<src>", "from.<dep>", "version", "atom.version", "<table>.<key>"];
  const site = (path: string[]): Site => ({ file: m.file, positions: m.positions, path });
  const str = (path: string[], s: string) => interpolate(s, vars, site(path), avail);
  // Each element at its own position (positions.ts records array elements as path + index).
  const strs = (path: string[], l: string[]) => l.map((s, i) => str([...path, String(i)], s));
  const defs = (path: string[], d: Record<string, string | number | boolean>) => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, typeof v === "string" ? str([...path, k], v) : v]));

  const link = (bin: string, l: string): string[] => linkNames(g, site(["build", "bin", bin, "link"]), l);

  const spec: CBuildSpec = {
    srcDir: `/build/${b.src}`,
    language: b.language,
    target: variant.host,
    cflags: strs(["build", "cflags"], b.cflags),
    defines: defs(["build", "defines"], b.defines),
    includeDirs: strs(["build", "include"], b.include),
    ...(b.headers ? { headers: strs(["build", "headers"], b.headers) } : {}),
    deps: Object.entries(depPaths).filter(([n]) => m.deps[n]?.provides === undefined).map(([, p]) => p),
    ...(libc ? { sysroot: libc } : {}),
    ...(b.libdir ? { libdir: b.libdir } : {}),
    emptyLibraries: b.emptyLibs,
    objectSets: Object.entries(b.obj).map(([name, o]) => ({
      name,
      sources: strs(["build", "obj", name, "sources"], o.sources),
      cflags: strs(["build", "obj", name, "cflags"], o.cflags),
      defines: defs(["build", "obj", name, "defines"], o.defines),
      install: o.install,
      installedHeaders: o.installedHeaders,
    })),
    installs: Object.entries(b.install).map(([name, i]) => ({ name, from: str(["build", "install", name, "from"], i.from), files: strs(["build", "install", name, "files"], i.files), to: i.to })),
    tools: Object.entries(b.tool).map(([name, e]) => ({ name, sources: strs(["build", "tool", name, "sources"], e.sources), cflags: strs(["build", "tool", name, "cflags"], e.cflags), defines: defs(["build", "tool", name, "defines"], e.defines), ldflags: strs(["build", "tool", name, "ldflags"], e.ldflags) })),
    runs: Object.entries(b.run).map(([name, r]) => ({ name, tool: r.tool, args: strs(["build", "run", name, "args"], r.args), inputs: strs(["build", "run", name, "inputs"], r.inputs), outputs: strs(["build", "run", name, "outputs"], r.outputs) })),
    libraries: Object.entries(b.lib).map(([name, l]) => ({
      name,
      objects: l.objs,
      installedHeaders: l.installedHeaders,
      sources: strs(["build", "lib", name, "sources"], l.sources),
      cflags: strs(["build", "lib", name, "cflags"], l.cflags),
      defines: defs(["build", "lib", name, "defines"], l.defines),
      ...(l.headers.length ? { headers: strs(["build", "lib", name, "headers"], l.headers) } : {}),
    })),
    executables: Object.entries(b.bin).map(([name, e]) => ({
      name,
      sources: strs(["build", "bin", name, "sources"], e.sources),
      cflags: strs(["build", "bin", name, "cflags"], e.cflags),
      defines: defs(["build", "bin", name, "defines"], e.defines),
      link: e.link.flatMap((l) => link(name, l)),
      ldflags: strs(["build", "bin", name, "ldflags"], e.ldflags),
    })),
    ldflags: strs(["build", "ldflags"], b.ldflags),
  };

  const inputs: PackageIR["inputs"] = { seed: opts.seed };
  for (const [name, ir] of Object.entries(deps)) inputs[`from.${name}`] = ir;
  const ir: PackageIR = {
    irVersion: IR_VERSION,
    name: m.atom.id,
    version: m.atom.version,
    platform,
    inputs,
    sources,
    config: { atom: { id: m.atom.id, version: m.atom.version, type: m.atom.type }, provide: variant.provide, pins },
    env: {},
    steps: cbuildSteps(spec),
    outputs: ["out"],
  };
  if (!perAtom) memo.set(g, (perAtom = new Map()));
  perAtom.set(key, ir);
  return ir;
}

/** The executables an atom builds (`bin/<name>.wasm` in its output), in manifest order. */
export function programsOf(m: Manifest): string[] {
  return Object.keys(m.build?.bin ?? {});
}

/** The IR sources of an atom's [srcs] and [pins], as its lock pins them (path sources by pathSourceKey). */
function lockedSources(g: AtomGraph): Record<string, SourceSpec> {
  const m = g.manifest;
  const sources: Record<string, SourceSpec> = {};
  const add = (irName: string, what: string, locked: LockedSource | undefined, unpack: boolean | ArchiveFormat | undefined) => {
    if (!locked) throw new EkaError("E_LOCK_STALE", `${m.file}: ${what} is not in atom.lock; run 'eka resolve'`);
    const u = unpack === undefined ? {} : { unpack };
    if (locked.kind === "path") sources[irName] = { kind: "path", path: pathSourceKey(m, locked.path as string), hash: locked.hash, ...u };
    else if (locked.kind === "url") sources[irName] = { kind: "url", url: locked.url as string, hash: locked.hash, ...u };
    else sources[irName] = { kind: "git", url: locked.url as string, rev: locked.rev as string, hash: locked.hash };
  };
  for (const [name, s] of Object.entries(m.srcs)) add(name, `srcs.${name}`, g.lock.srcs[name], s.unpack);
  for (const [name, s] of Object.entries(m.pins)) add(`pins.${name}`, `pins.${name}`, g.lock.pins[name], s.unpack);
  return sources;
}

/** The pins' entries and arguments for the IR's config, platform references filled in. */
function pinConfig(m: Manifest, platform: { build: string; host: string }): Record<string, { entry?: string; args: Record<string, string | number | boolean> }> {
  const pins: Record<string, { entry?: string; args: Record<string, string | number | boolean> }> = {};
  for (const [name, p] of Object.entries(m.pins)) {
    const args: Record<string, string | number | boolean> = {};
    for (const [k, v] of Object.entries(p.args)) args[k] = typeof v === "string" ? pinArg(m, ["pins", name, "args", k], v, platform) : v;
    pins[name] = { ...(p.entry !== undefined ? { entry: p.entry } : {}), args };
  }
  return pins;
}

/** The libraries a `link` entry names: a system library as is, or `from.DEP[.LIB]` of a [deps] entry. */
function linkNames(g: AtomGraph, at: Site, l: string): string[] {
  if (!l.startsWith("from.")) return [l];
  const [, depName = "", lib] = l.split(".");
  const dg = g.deps[depName];
  if (!dg) {
    const near = didYouMean(depName, Object.keys(g.deps));
    throw manifestError("E_MANIFEST_TYPE", at, `link '${l}': no dependency '${depName}' in [deps]${near ? ` (did you mean 'from.${near}'?)` : ""}; link "from.DEP" or "from.DEP.LIB" of a [deps] entry`, "value");
  }
  const libs = Object.keys(dg.manifest.build?.lib ?? {});
  if (lib === undefined) {
    if (libs.length === 0) throw manifestError("E_MANIFEST_TYPE", at, `link '${l}': ${dg.manifest.atom.id} builds no library ([build.lib.*])`, "value");
    return libs;
  }
  if (!libs.includes(lib)) throw manifestError("E_MANIFEST_TYPE", at, `link '${l}': ${dg.manifest.atom.id} has no library '${lib}'; it has ${libs.join(", ") || "none"}`, "value");
  return [lib];
}

