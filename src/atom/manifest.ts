/**
 * atom.toml: parsed with smol-toml, then checked key by key so every error names the file, line
 * and column (positions.ts), what was expected, and a fix. The result is plain data; nothing here
 * reads other files or the network.
 */
import semver from "semver";
import { parse, TomlError } from "smol-toml";
import { didYouMean } from "../util/suggest.ts";
import { manifestError, type Site } from "./errors.ts";
import { interpolate, type Vars } from "./interpolate.ts";
import { scanPositions, type PositionMap } from "./positions.ts";

export const MANIFEST_FILE = "atom.toml";
export const DEFAULT_PLATFORM = "wasm32-wasip1";

export interface Manifest {
  /** As given to parseManifest, for messages. */
  file: string;
  atom: { id: string; version: string; type: string; description?: string };
  srcs: Record<string, SourceDecl>;
  deps: Record<string, DepDecl>;
  pins: Record<string, PinDecl>;
  platform: { build: string; hosts: string[] };
  /** Abstract package → ordered choices; the first is the default. */
  provide: Record<string, string[]>;
  dist: string[];
  build?: BuildDecl;
  /** The parsed document, for `${table.key}`. */
  doc: Record<string, unknown>;
  positions: PositionMap;
}

/**
 * A source: `url` (an archive or file over http(s)), `url` + `ref` (a git repository at a branch,
 * tag or commit), or `path` (relative to the atom's directory). `url`/`path`/`ref` are already
 * interpolated. `hash` pins it in the manifest itself; otherwise atom.lock holds it.
 */
export interface SourceDecl {
  kind: "url" | "git" | "path";
  url?: string;
  ref?: string;
  path?: string;
  version?: string;
  hash?: string;
  unpack?: boolean | "tar" | "tar.gz" | "tar.xz" | "tar.bz2" | "zip";
}

export interface PinDecl extends SourceDecl {
  entry?: string;
  /** Raw values; `${platform.build}`/`${platform.host}` are filled in per host (pinArgs()). */
  args: Record<string, string | number | boolean>;
}

/** Another atom: by git `url` + semver `version` range, or by `path` (`version` then applies remotely). */
export interface DepDecl {
  kind: "git" | "path";
  url?: string;
  path?: string;
  version?: string;
  /** A [provide] name this dependency answers: it is an input only when its name is the choice. */
  provides?: string;
}

type Defines = Record<string, string | number | boolean>;

export interface BuildDecl {
  kind: "c";
  /** Name of the source (in [srcs]) holding the code. */
  src: string;
  language: "c" | "c++";
  cflags: string[];
  ldflags: string[];
  defines: Record<string, string | number | boolean>;
  include: string[];
  headers?: string[];
  lib: Record<string, { sources: string[]; headers: string[]; cflags: string[]; defines: Defines; objs: string[]; installedHeaders: boolean }>;
  bin: Record<string, { sources: string[]; cflags: string[]; ldflags: string[]; defines: Defines; link: string[] }>;
  /** Below $out; default "lib". */
  libdir?: string;
  emptyLibs: string[];
  obj: Record<string, { sources: string[]; cflags: string[]; defines: Defines; install: boolean; installedHeaders: boolean }>;
  install: Record<string, { from: string; files: string[]; to: string }>;
  tool: Record<string, { sources: string[]; cflags: string[]; ldflags: string[]; defines: Defines; link: string[] }>;
  run: Record<string, { tool: string; args: string[]; inputs: string[]; outputs: string[] }>;
}

const TOP_KEYS = ["atom", "srcs", "deps", "pins", "platform", "provide", "dist", "build"];
const ATOM_KEYS = ["id", "version", "type", "description"];
const SRC_KEYS = ["url", "ref", "path", "version", "hash", "unpack"];
const PIN_KEYS = [...SRC_KEYS, "entry", "args"];
const DEP_KEYS = ["url", "path", "version", "provides"];
const PLATFORM_KEYS = ["build", "host"];
const BUILD_KEYS = ["kind", "src", "language", "cflags", "ldflags", "defines", "include", "headers", "lib", "bin", "libdir", "empty-libs", "obj", "install", "tool", "run"];
const LIB_KEYS = ["sources", "headers", "cflags", "defines", "objs", "installed-headers"];
const OBJ_KEYS = ["sources", "cflags", "defines", "install", "installed-headers"];
const INSTALL_KEYS = ["from", "files", "to"];
const RUN_KEYS = ["tool", "args", "inputs", "outputs"];
const BIN_KEYS = ["sources", "cflags", "ldflags", "defines", "link"];

const ID_RE = /^[A-Za-z0-9_][A-Za-z0-9+\-._]*$/;
const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

/** Parses and checks atom.toml text. `file` is used in messages only. */
export function parseManifest(source: string, file = MANIFEST_FILE): Manifest {
  let doc: Record<string, unknown>;
  try {
    doc = parse(source) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof TomlError) {
      const first = e.message.split("\n")[0]?.replace(/^Invalid TOML document: /, "") ?? "invalid TOML";
      throw manifestError("E_MANIFEST_SYNTAX", { file, pos: { line: e.line, column: e.column } }, `not valid TOML: ${first}. Fix the syntax at this position (strings need quotes, tables [name], keys key = value)`);
    }
    throw e;
  }
  const positions = scanPositions(source);
  const c = new Checker(file, positions);
  c.keys([], doc, TOP_KEYS, "top-level tables");

  const atomT = c.table(["atom"], doc.atom, true);
  c.keys(["atom"], atomT, ATOM_KEYS, "[atom] keys");
  const id = c.str(["atom", "id"], atomT.id, true, "an atom id such as \"hello\"");
  if (!ID_RE.test(id)) throw c.type(["atom", "id"], `an id of letters, digits and + - . _ (got '${id}')`);
  const version = c.str(["atom", "version"], atomT.version, true, "a semver version such as \"1.0.0\"");
  if (!semver.valid(version)) throw c.semver(["atom", "version"], `'${version}' is not a semver version; write MAJOR.MINOR.PATCH, e.g. "1.0.0"`);
  const type = atomT.type === undefined ? "package" : c.str(["atom", "type"], atomT.type, true, "an atom type such as \"package\"");
  if (!/^[a-z][a-z0-9-]*$/.test(type)) throw c.type(["atom", "type"], `a lowercase type name such as "package" (got '${type}')`);
  const description = atomT.description === undefined ? undefined : c.str(["atom", "description"], atomT.description, true, "a string");

  const platformT = doc.platform === undefined ? {} : c.table(["platform"], doc.platform, true);
  c.keys(["platform"], platformT, PLATFORM_KEYS, "[platform] keys");
  const build = platformT.build === undefined ? DEFAULT_PLATFORM : c.str(["platform", "build"], platformT.build, true, "a platform triple such as \"wasm32-wasip1\"");
  let hosts: string[];
  if (platformT.host === undefined) hosts = [DEFAULT_PLATFORM];
  else if (typeof platformT.host === "string") hosts = [platformT.host];
  else hosts = c.strList(["platform", "host"], platformT.host, "a platform triple or a list of them, e.g. [\"wasm32-wasip1\"]");
  if (hosts.length === 0) throw c.type(["platform", "host"], "at least one host platform");

  const provide: Record<string, string[]> = {};
  const provideT = doc.provide === undefined ? {} : c.table(["provide"], doc.provide, true);
  for (const [name, v] of Object.entries(provideT)) {
    c.name(["provide", name], name);
    const choices = c.strList(["provide", name], v, `an ordered list of choices, e.g. ${name} = ["clang"] (the first is the default)`);
    if (choices.length === 0) throw c.type(["provide", name], `at least one choice for '${name}'`);
    provide[name] = choices;
  }

  const dist = doc.dist === undefined ? [] : c.strList(["dist"], doc.dist, "a list of distribution formats, e.g. [\"tar\"]");

  const m: Manifest = {
    file,
    atom: { id, version, type, ...(description !== undefined ? { description } : {}) },
    srcs: {},
    deps: {},
    pins: {},
    platform: { build, hosts },
    provide,
    dist,
    doc,
    positions,
  };

  const srcsT = doc.srcs === undefined ? {} : c.table(["srcs"], doc.srcs, true);
  for (const [name, v] of Object.entries(srcsT)) {
    c.name(["srcs", name], name);
    m.srcs[name] = c.source(["srcs", name], c.table(["srcs", name], v, true), SRC_KEYS, m);
  }
  checkPins(c, doc, m);
  checkDeps(c, doc, m);

  if (doc.build !== undefined) m.build = c.buildTable(doc.build, m);
  return m;
}

/** A pin argument with `${platform.build}`/`${platform.host}` (and manifest values) filled in. */
export function pinArg(m: Manifest, path: string[], value: string, platform: { build: string; host: string }): string {
  const site: Site = { file: m.file, positions: m.positions, path };
  const vars: Vars = (n) => (n === "platform.build" ? platform.build : n === "platform.host" ? platform.host : manifestVar(m, n));
  return interpolate(value, vars, site, ["platform.build", "platform.host", "version", "atom.version", "<table>.<key>"]);
}

/** `${version}`, `${major}`, `${minor}`, `${patch}` (of `version`), or any scalar `${table.key}` of the manifest. */
export function manifestVar(m: Pick<Manifest, "doc" | "atom">, name: string, version = m.atom.version): string | undefined {
  const parsed = semver.coerce(version);
  switch (name) {
    case "version":
      return version;
    case "major":
      return parsed ? String(parsed.major) : undefined;
    case "minor":
      return parsed ? String(parsed.minor) : undefined;
    case "patch":
      return parsed ? String(parsed.patch) : undefined;
  }
  let v: unknown = m.doc;
  for (const part of name.split(".")) {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? String(v) : undefined;
}

class Checker {
  constructor(
    readonly file: string,
    readonly positions: PositionMap,
  ) {}

  site(path: readonly string[]): Site {
    return { file: this.file, positions: this.positions, path };
  }

  type(path: readonly string[], expected: string, which: "key" | "value" = "value") {
    return manifestError("E_MANIFEST_TYPE", this.site(path), `${label(path)}: expected ${expected}`, which);
  }

  semver(path: readonly string[], message: string, which: "key" | "value" = "value") {
    return manifestError("E_MANIFEST_SEMVER", this.site(path), `${label(path)}: ${message}`, which);
  }

  missing(path: readonly string[], message: string) {
    return manifestError("E_MANIFEST_MISSING", this.site(path), message);
  }

  keys(path: readonly string[], t: Record<string, unknown>, allowed: string[], what: string): void {
    for (const k of Object.keys(t)) {
      if (allowed.includes(k)) continue;
      const near = didYouMean(k, allowed);
      const where = path.length ? ` in [${path.join(".")}]` : "";
      throw manifestError(
        "E_MANIFEST_KEY",
        this.site([...path, k]),
        `unknown key '${k}'${where}${near ? ` (did you mean '${near}'?)` : ""}; expected one of the ${what}: ${allowed.join(", ")}`,
      );
    }
  }

  table(path: readonly string[], v: unknown, required: boolean): Record<string, unknown> {
    if (v === undefined && required) throw this.missing(path.slice(0, -1), `missing table [${path.join(".")}]; add it (e.g. [atom] with id and version)`);
    if (v === null || typeof v !== "object" || Array.isArray(v) || v instanceof Date) throw this.type(path, `a table ([${path.join(".")}] or { … }), got ${typeName(v)}`);
    return v as Record<string, unknown>;
  }

  str(path: readonly string[], v: unknown, required: boolean, expected: string): string {
    if (v === undefined) {
      if (required) throw this.missing(path.slice(0, -1), `missing key '${path[path.length - 1]}' in [${path.slice(0, -1).join(".")}]; add ${path[path.length - 1]} = ${expected}`);
      return "";
    }
    if (typeof v !== "string") throw this.type(path, `${expected}, got ${typeName(v)}`);
    return v;
  }

  strList(path: readonly string[], v: unknown, expected: string): string[] {
    if (!Array.isArray(v)) throw this.type(path, `${expected}, got ${typeName(v)}`);
    for (const x of v) if (typeof x !== "string") throw this.type(path, `${expected}, but an element is ${typeName(x)}`);
    return v as string[];
  }

  name(path: readonly string[], name: string): void {
    if (!NAME_RE.test(name)) throw manifestError("E_MANIFEST_TYPE", this.site(path), `'${name}' is not a valid name: use letters, digits, _ and -`);
  }

  bool(path: readonly string[], v: unknown): boolean {
    if (v === undefined) return false;
    if (typeof v !== "boolean") throw this.type(path, `true or false, got ${typeName(v)}`);
    return v;
  }

  defines(path: readonly string[], v: unknown): Record<string, string | number | boolean> {
    if (v === undefined) return {};
    const t = this.table(path, v, true);
    for (const [k, x] of Object.entries(t)) {
      if (typeof x !== "string" && typeof x !== "number" && typeof x !== "boolean") throw this.type([...path, k], `a string, number or boolean (true defines it, false leaves it out), got ${typeName(x)}`);
    }
    return t as Record<string, string | number | boolean>;
  }

  source(path: string[], t: Record<string, unknown>, allowed: string[], m: Manifest): SourceDecl {
    const what = `[${path.join(".")}] keys`;
    this.keys(path, t, allowed, what);
    const get = (k: string, expected: string) => (t[k] === undefined ? undefined : this.str([...path, k], t[k], true, expected));
    const version = get("version", "a version string");
    const hash = get("hash", "\"blake3:<64 hex>\" or \"sha256:<64 hex>\"");
    if (hash !== undefined && !/^(blake3|sha256):[0-9a-f]{64}$/.test(hash)) throw this.type([...path, "hash"], `"blake3:<64 hex>" or "sha256:<64 hex>", got '${hash}'`);
    let unpack: SourceDecl["unpack"];
    if (t.unpack !== undefined) {
      if (typeof t.unpack === "boolean" || (typeof t.unpack === "string" && ["tar", "tar.gz", "tar.xz", "tar.bz2", "zip"].includes(t.unpack))) unpack = t.unpack as SourceDecl["unpack"];
      else throw this.type([...path, "unpack"], `true, false, "tar", "tar.gz", "tar.xz", "tar.bz2" or "zip", got ${typeName(t.unpack)}`);
    }
    const vars: Vars = (n) => manifestVar(m, n, version ?? m.atom.version);
    const avail = ["version", "major", "minor", "patch", "atom.version", "<table>.<key>"];
    const interp = (k: string, expected: string) => {
      const raw = get(k, expected);
      return raw === undefined ? undefined : interpolate(raw, vars, this.site([...path, k]), avail);
    };
    const url = interp("url", "a URL string");
    const ref = interp("ref", "a git branch, tag or commit");
    const p = interp("path", "a path relative to this atom");
    if ((url === undefined) === (p === undefined)) throw this.missing(path, `[${path.join(".")}] needs exactly one of url (an archive or file; with ref: a git repository) or path (relative to this atom)`);
    if (ref !== undefined && url === undefined) throw this.missing(path, `[${path.join(".")}] has ref but no url; ref names a commit of the git repository at url`);
    const base = { ...(version !== undefined ? { version } : {}), ...(hash !== undefined ? { hash } : {}), ...(unpack !== undefined ? { unpack } : {}) };
    if (p !== undefined) return { kind: "path", path: p, ...base };
    if (ref !== undefined) return { kind: "git", url, ref, ...base };
    if (!/^https?:\/\//.test(url as string)) throw this.type([...path, "url"], `an http(s):// URL for a fetched file (for a git repository add ref = "<branch|tag|commit>"), got '${url}'`);
    return { kind: "url", url, ...base };
  }

  buildTable(v: unknown, m: Manifest): BuildDecl {
    const t = this.table(["build"], v, true);
    this.keys(["build"], t, BUILD_KEYS, "[build] keys");
    const kind = this.str(["build", "kind"], t.kind, true, "\"c\" (the C builder)");
    if (kind !== "c") throw this.type(["build", "kind"], `"c" (the only builder so far), got '${kind}'`);
    const srcNames = Object.keys(m.srcs);
    let src: string;
    if (t.src === undefined) {
      if (srcNames.length !== 1) throw this.missing(["build"], `[build] needs src = "<name of a [srcs] entry>" holding the code (this atom has ${srcNames.length} srcs: ${srcNames.join(", ") || "none"})`);
      src = srcNames[0] as string;
    } else {
      src = this.str(["build", "src"], t.src, true, "the name of a [srcs] entry");
      if (!srcNames.includes(src)) {
        const near = didYouMean(src, srcNames);
        throw this.type(["build", "src"], `the name of a [srcs] entry (${srcNames.join(", ") || "none defined"}), got '${src}'${near ? ` (did you mean '${near}'?)` : ""}`);
      }
    }
    const language = t.language === undefined ? "c" : this.str(["build", "language"], t.language, true, "\"c\" or \"c++\"");
    if (language !== "c" && language !== "c++") throw this.type(["build", "language"], `"c" or "c++", got '${language}'`);
    const list = (p: string[], x: unknown, what: string) => (x === undefined ? [] : this.strList(p, x, what));
    const lib: BuildDecl["lib"] = {};
    for (const [name, lv] of Object.entries(t.lib === undefined ? {} : this.table(["build", "lib"], t.lib, true))) {
      const p = ["build", "lib", name];
      this.name(p, name);
      const lt = this.table(p, lv, true);
      this.keys(p, lt, LIB_KEYS, `[build.lib.${name}] keys`);
      const sources = list([...p, "sources"], lt.sources, "a list of source files relative to the source dir");
      const objs = list([...p, "objs"], lt.objs, "a list of [build.obj] names");
      if (sources.length === 0 && objs.length === 0) throw this.missing(p, `[build.lib.${name}] needs sources = ["file.c", …] (or objs = ["<a [build.obj] name>", …])`);
      for (const [i, o] of objs.entries()) if (!(o in ((t.obj ?? {}) as Record<string, unknown>))) throw this.type([...p, "objs", String(i)], `the name of a [build.obj] table, got '${o}'`, "value");
      lib[name] = { sources, objs, installedHeaders: this.bool([...p, "installed-headers"], lt["installed-headers"]), headers: list([...p, "headers"], lt.headers, "a list of header files"), cflags: list([...p, "cflags"], lt.cflags, "a list of flags"), defines: this.defines([...p, "defines"], lt.defines) };
    }
    const programs = (key: "bin" | "tool") => {
      const r: BuildDecl["bin"] = {};
      for (const [name, bv] of Object.entries(t[key] === undefined ? {} : this.table(["build", key], t[key], true))) {
        const p = ["build", key, name];
        this.name(p, name);
        const bt = this.table(p, bv, true);
        this.keys(p, bt, BIN_KEYS, `[build.${key}.${name}] keys`);
        const sources = list([...p, "sources"], bt.sources, "a list of source files relative to the source dir");
        if (sources.length === 0) throw this.missing(p, `[build.${key}.${name}] needs sources = ["main.c", …]`);
        r[name] = {
          sources,
          cflags: list([...p, "cflags"], bt.cflags, "a list of flags"),
          ldflags: list([...p, "ldflags"], bt.ldflags, "a list of flags"),
          defines: this.defines([...p, "defines"], bt.defines),
          link: list([...p, "link"], bt.link, "a list of libraries: a [build.lib] name, \"from.DEP\" or \"from.DEP.LIB\""),
        };
      }
      return r;
    };
    const each = <T>(key: string, keys: string[], f: (p: string[], tt: Record<string, unknown>) => T): Record<string, T> => {
      const r: Record<string, T> = {};
      for (const [name, v] of Object.entries(t[key] === undefined ? {} : this.table(["build", key], t[key], true))) {
        const p = ["build", key, name];
        this.name(p, name);
        const tt = this.table(p, v, true);
        this.keys(p, tt, keys, `[build.${key}.${name}] keys`);
        r[name] = f(p, tt);
      }
      return r;
    };
    const obj = each("obj", OBJ_KEYS, (p, ot) => {
      const sources = list([...p, "sources"], ot.sources, "a list of source files relative to the source dir");
      if (sources.length === 0) throw this.missing(p, `[build.${p[2]}] needs sources = ["file.c", …]`);
      return { sources, cflags: list([...p, "cflags"], ot.cflags, "a list of flags"), defines: this.defines([...p, "defines"], ot.defines), install: this.bool([...p, "install"], ot.install), installedHeaders: this.bool([...p, "installed-headers"], ot["installed-headers"]) };
    });
    const install = each("install", INSTALL_KEYS, (p, it) => ({
      from: this.str([...p, "from"], it.from, true, "a directory relative to the source dir"),
      files: this.strList([...p, "files"], it.files, "a list of files relative to 'from'"),
      to: this.str([...p, "to"], it.to, true, "a directory relative to the output, e.g. \"include\""),
    }));
    const tool = programs("tool");
    const run = each("run", RUN_KEYS, (p, rt) => {
      const name = this.str([...p, "tool"], rt.tool, true, "the name of a [build.tool] table");
      if (!(name in tool)) throw this.type([...p, "tool"], `the name of a [build.tool] table (${Object.keys(tool).join(", ") || "none defined"}), got '${name}'`);
      return { tool: name, args: list([...p, "args"], rt.args, "a list of arguments"), inputs: list([...p, "inputs"], rt.inputs, "a list of files the tool reads, relative to the source dir"), outputs: this.strList([...p, "outputs"], rt.outputs, "a list of files the tool writes ($out/… or relative to /build/gen)") };
    });
    const out: BuildDecl = {
      kind: "c",
      src,
      language,
      cflags: list(["build", "cflags"], t.cflags, "a list of compiler flags"),
      ldflags: list(["build", "ldflags"], t.ldflags, "a list of linker flags"),
      defines: this.defines(["build", "defines"], t.defines),
      include: list(["build", "include"], t.include, "a list of include directories relative to the source dir"),
      lib,
      bin: programs("bin"),
      emptyLibs: list(["build", "empty-libs"], t["empty-libs"], "a list of library names"),
      obj,
      install,
      tool,
      run,
    };
    if (t.libdir !== undefined) out.libdir = this.str(["build", "libdir"], t.libdir, true, "a directory relative to the output, e.g. \"lib\"");
    if (t.headers !== undefined) out.headers = this.strList(["build", "headers"], t.headers, "a list of header globs");
    return out;
  }
}

/** [pins.NAME]: a source plus its entry and arguments; argument references checked now. */
function checkPins(c: Checker, doc: Record<string, unknown>, m: Manifest): void {
  const { build, hosts } = m.platform;
  const pinsT = doc.pins === undefined ? {} : c.table(["pins"], doc.pins, true);
  for (const [name, v] of Object.entries(pinsT)) {
    c.name(["pins", name], name);
    const t = c.table(["pins", name], v, true);
    const src = c.source(["pins", name], t, PIN_KEYS, m);
    const entry = t.entry === undefined ? undefined : c.str(["pins", name, "entry"], t.entry, true, "a path inside the pin, e.g. \"default.nix\"");
    const argsT = t.args === undefined ? {} : c.table(["pins", name, "args"], t.args, true);
    const args: Record<string, string | number | boolean> = {};
    for (const [k, a] of Object.entries(argsT)) {
      if (typeof a !== "string" && typeof a !== "number" && typeof a !== "boolean") throw c.type(["pins", name, "args", k], "a string, number or boolean", "value");
      args[k] = a;
      // Check references now (with a sample host) so a bad name fails at parse time, with its position.
      if (typeof a === "string") pinArg(m, ["pins", name, "args", k], a, { build, host: hosts[0] ?? DEFAULT_PLATFORM });
    }
    m.pins[name] = { ...src, ...(entry !== undefined ? { entry } : {}), args };
  }
}

/** [deps.NAME]: exactly one of a git url (with a version range) or a path. */
function checkDeps(c: Checker, doc: Record<string, unknown>, m: Manifest): void {
  const depsT = doc.deps === undefined ? {} : c.table(["deps"], doc.deps, true);
  for (const [name, v] of Object.entries(depsT)) {
    c.name(["deps", name], name);
    const t = c.table(["deps", name], v, true);
    c.keys(["deps", name], t, DEP_KEYS, `[deps.${name}] keys`);
    const url = t.url === undefined ? undefined : c.str(["deps", name, "url"], t.url, true, "a git repository URL");
    const path = t.path === undefined ? undefined : c.str(["deps", name, "path"], t.path, true, "a directory relative to this atom");
    const range = t.version === undefined ? undefined : c.str(["deps", name, "version"], t.version, true, "a semver range such as \"^1.2\"");
    const provides = t.provides === undefined ? undefined : c.str(["deps", name, "provides"], t.provides, true, "the name of a [provide] entry");
    if (provides !== undefined && !m.provide[provides]?.includes(name)) throw c.type(["deps", name, "provides"], `a [provide] entry that lists '${name}' as a choice, e.g. [provide] ${provides} = ["seed", "${name}"]`, "value");
    if (range !== undefined && semver.validRange(range) === null) throw c.semver(["deps", name, "version"], `'${range}' is not a semver range; write e.g. "^1.2", "~1.2.3", ">=1 <3" or "*"`, "value");
    if ((url === undefined) === (path === undefined)) throw c.missing(["deps", name], `[deps.${name}] needs exactly one of url (a git repository, with version) or path (a directory)`);
    if (url !== undefined && range === undefined) throw c.missing(["deps", name], `[deps.${name}] has a url but no version; add version = "*" or a range such as "^1"`);
    const extra = { ...(range ? { version: range } : {}), ...(provides ? { provides } : {}) };
    m.deps[name] = url !== undefined ? { kind: "git", url, ...extra } : { kind: "path", path: path as string, ...extra };
  }
}

function label(path: readonly string[]): string {
  return path.length ? `'${path.join(".")}'` : "document";
}

function typeName(v: unknown): string {
  if (v === undefined) return "nothing";
  if (Array.isArray(v)) return "an array";
  if (v instanceof Date) return "a date";
  if (v === null) return "null";
  if (typeof v === "object") return "a table";
  if (typeof v === "string") return `a string ("${v}")`;
  return `a ${typeof v} (${String(v)})`;
}
