import { EkaError } from "../../errors.ts";
import { SEED_LLVM_TOOL, type Step } from "../../ir/types.ts";

export const DEFAULT_TARGET = "wasm32-wasip1";

export interface CLibrary {
  /** Builds $out/<libdir>/lib<name>.a. */
  name: string;
  /** Source files, relative to srcDir; may be empty when `objects` names object sets. */
  sources: string[];
  /** Object sets (`CBuildSpec.objectSets`) archived too, before the library's own sources, in order. */
  objects?: string[];
  /** Compiles see what the install and run steps put in $out (a libc's own headers): they wait for them. */
  installedHeaders?: boolean;
  cflags?: string[];
  defines?: Record<string, string | number | boolean>;
  /**
   * Headers (relative to srcDir) installed in $out/include, keeping their path below the
   * include directory that holds them (or below srcDir).
   */
  headers?: string[];
}

export interface CExecutable {
  /** Builds $out/bin/<name>.wasm. */
  name: string;
  sources: string[];
  cflags?: string[];
  defines?: Record<string, string | number | boolean>;
  /** Libraries to link: a name of this package's `libraries` or `-l<name>` from a dependency. */
  link?: string[];
  ldflags?: string[];
}

/** Sources compiled with flags of their own, for libraries to archive or to install as objects. */
export interface CObjectSet {
  name: string;
  sources: string[];
  cflags?: string[];
  defines?: Record<string, string | number | boolean>;
  /** Installs the objects as $out/<libdir>/<stem>.o (a libc's crt1.o). */
  install?: boolean;
  installedHeaders?: boolean;
}

/** Files copied into $out: `files` (relative to `from`, itself relative to srcDir) keep their path below `from`. */
export interface CInstall {
  name: string;
  from: string;
  files: string[];
  /** Directory relative to $out. */
  to: string;
}

/**
 * A generator: runs a tool this package builds (`CBuildSpec.tools`) with `args` in srcDir. It reads
 * only `inputs` (relative to srcDir) and writes `outputs` (`$out/…`, or relative to /build/gen).
 */
export interface CRun {
  name: string;
  tool: string;
  args: string[];
  inputs: string[];
  outputs: string[];
}

export interface CBuildSpec {
  /** Guest directory holding the sources; default `/build/src` (a source named `src`). */
  srcDir?: string;
  /** `c` (clang) or `c++` (clang++). */
  language?: "c" | "c++";
  target?: string;
  /** For every compile, e.g. ["-O2"]. */
  cflags?: string[];
  defines?: Record<string, string | number | boolean>;
  /** Relative to srcDir, or absolute guest paths. */
  includeDirs?: string[];
  /**
   * Files a compile may include, as globs relative to srcDir; they key each compile's action, so
   * editing one .c file recompiles only that file. Default: every .h/.inc/.def under srcDir.
   */
  headers?: string[];
  /** Dependencies' store paths (package inputs): `<dep>/include` and `-L<dep>/lib` are added. */
  deps?: string[];
  libraries?: CLibrary[];
  executables?: CExecutable[];
  ldflags?: string[];
  /** Where libraries (and installed objects) go below $out; default `lib`. */
  libdir?: string;
  /** Empty archives to create, as a libc's placeholder libm.a. */
  emptyLibraries?: string[];
  objectSets?: CObjectSet[];
  installs?: CInstall[];
  /** Programs built for the build itself: /build/tools/<name>.wasm, not installed; no `sysroot`. */
  tools?: CExecutable[];
  runs?: CRun[];
  /** A libc store path to compile and link against instead of the seed's (`clang --sysroot`). */
  sysroot?: string;
}

/** The steps of a C build. Deterministic: the same spec gives the same steps (and pid). */
export function cbuildSteps(spec: CBuildSpec): Step[] {
  const src = (spec.srcDir ?? "/build/src").replace(/\/+$/, "");
  const cc = spec.language === "c++" ? "clang++" : "clang";
  const target = `--target=${spec.target ?? DEFAULT_TARGET}`;
  const abs = (p: string) => (p.startsWith("/") || p.startsWith("$out/") ? p : `${src}/${p}`);
  const deps = spec.deps ?? [];
  const libdir = `$out/${(spec.libdir ?? "lib").replace(/^\/+|\/+$/g, "")}`;
  const sysroot = spec.sysroot ? [`--sysroot=${spec.sysroot}`] : [];
  const includes = [...(spec.includeDirs ?? []).map((d) => `-I${abs(d)}`), ...deps.map((d) => `-I${d}/include`)];
  const headerGlobs = (spec.headers ?? ["**/*.h", "**/*.inc", "**/*.def"]).map(abs);
  const defs = (d: Record<string, string | number | boolean> | undefined) =>
    Object.keys(d ?? {})
      .sort()
      .flatMap((k) => {
        const v = (d ?? {})[k];
        return v === false ? [] : [v === true ? `-D${k}` : `-D${k}=${String(v)}`];
      });
  const libs = new Map((spec.libraries ?? []).map((l) => [l.name, l]));
  const steps: Step[] = [];
  const seen = new Set<string>();
  const add = (s: Step) => {
    if (seen.has(s.id)) throw new EkaError("E_CBUILD", `two build outputs are named '${s.id}'; give libraries and executables distinct names`);
    seen.add(s.id);
    steps.push(s);
  };

  // Installs and generators first: compiles that read what they put in $out wait for them.
  for (const inst of spec.installs ?? []) add(installStep(inst, abs));
  const tools = new Map<string, string>();
  for (const t of spec.tools ?? []) tools.set(t.name, link(t, "/build/tools", false).output);
  for (const r of spec.runs ?? []) add(runStep(r, tools, src, abs));
  const installed = [...(spec.installs ?? []).map((i) => `install:${i.name}`), ...(spec.runs ?? []).map((r) => `run:${r.name}`)];

  interface Unit {
    cflags?: string[] | undefined;
    defines?: CLibrary["defines"];
    installedHeaders?: boolean | undefined;
  }
  function compile(unit: string, file: string, u: Unit, forTool = false) {
    const obj = `/build/obj/${unit}/${file.replace(/^\/+/, "").replace(/\.[^./]+$/, "")}.o`;
    const id = `cc:${unit}/${file}`;
    const after = u.installedHeaders ? installed : [];
    const root = forTool ? [] : sysroot;
    add({
      id,
      tool: SEED_LLVM_TOOL,
      args: [cc, target, ...root, ...(spec.cflags ?? []), ...(u.cflags ?? []), ...defs({ ...spec.defines, ...u.defines }), ...includes, "-c", abs(file), "-o", obj],
      ...(after.length ? { deps: after } : {}),
      inputs: [abs(file), ...headerGlobs, ...(u.installedHeaders ? ["$out/**/*.h"] : []), ...deps, ...(forTool ? [] : (spec.sysroot ? [spec.sysroot] : []))],
      outputs: [obj],
    });
    return { id, obj };
  }

  const sets = new Map<string, { id: string; obj: string }[]>();
  for (const set of spec.objectSets ?? []) {
    if (set.sources.length === 0) throw new EkaError("E_CBUILD", `object set '${set.name}' has no sources`);
    const objs = set.sources.map((f) => compile(`obj-${set.name}`, f, set));
    sets.set(set.name, objs);
    if (set.install) {
      add({
        id: `install-objects:${set.name}`,
        tool: "builtin:copy",
        args: ["copy", ...objs.map((o) => o.obj), libdir],
        deps: objs.map((o) => o.id),
        inputs: objs.map((o) => o.obj),
        outputs: objs.map((o) => `${libdir}/${o.obj.slice(o.obj.lastIndexOf("/") + 1)}`),
      });
    }
  }

  for (const lib of spec.libraries ?? []) {
    const fromSets = (lib.objects ?? []).flatMap((n) => {
      const objs = sets.get(n);
      if (!objs) throw new EkaError("E_CBUILD", `library '${lib.name}' names object set '${n}', which is not defined`);
      return objs;
    });
    if (lib.sources.length === 0 && fromSets.length === 0) throw new EkaError("E_CBUILD", `library '${lib.name}' has no sources`);
    const objs = [...fromSets, ...lib.sources.map((f) => compile(`lib${lib.name}`, f, lib))];
    add(archive(lib.name, objs));
    for (const step of installHeaders(lib, spec.includeDirs ?? [], src, abs)) add(step);
  }
  for (const name of spec.emptyLibraries ?? []) add(archive(name, []));

  function archive(name: string, objs: { id: string; obj: string }[]): Step {
    const file = `${libdir}/lib${name}.a`;
    return { id: `ar:lib${name}`, tool: SEED_LLVM_TOOL, args: ["llvm-ar", "rcsD", file, ...objs.map((o) => o.obj)], deps: objs.map((o) => o.id), inputs: objs.map((o) => o.obj), outputs: [file] };
  }

  function link(exe: CExecutable, dir: string, installedExe: boolean): { output: string } {
    if (exe.sources.length === 0) throw new EkaError("E_CBUILD", `executable '${exe.name}' has no sources`);
    const objs = exe.sources.map((f) => compile(installedExe ? exe.name : `tool-${exe.name}`, f, exe, !installedExe));
    const own: string[] = [];
    const ownIds: string[] = [];
    const ext: string[] = [];
    for (const l of exe.link ?? []) {
      if (libs.has(l)) {
        own.push(`${libdir}/lib${l}.a`);
        ownIds.push(`ar:lib${l}`);
      } else ext.push(`-l${l}`);
    }
    const output = `${dir}/${exe.name}.wasm`;
    const root = installedExe ? sysroot : [];
    add({
      id: `ld:${installedExe ? "" : "tool:"}${exe.name}`,
      tool: SEED_LLVM_TOOL,
      args: [cc, target, ...root, ...(spec.cflags ?? []), ...objs.map((o) => o.obj), ...own, ...deps.map((d) => `-L${d}/lib`), ...ext, ...(spec.ldflags ?? []), ...(exe.ldflags ?? []), "-o", output],
      deps: [...objs.map((o) => o.id), ...ownIds],
      inputs: [...objs.map((o) => o.obj), ...own, ...deps, ...(installedExe && spec.sysroot ? [spec.sysroot] : [])],
      outputs: [output],
    });
    return { output };
  }
  for (const exe of spec.executables ?? []) link(exe, "$out/bin", true);
  return steps;
}

function installStep(inst: CInstall, abs: (p: string) => string): Step {
  const base = abs(inst.from.replace(/\/+$/, ""));
  const to = `$out/${inst.to.replace(/^\/+|\/+$/g, "")}`;
  const files = inst.files.map((f) => `${base}/${f}`);
  return { id: `install:${inst.name}`, tool: "builtin:copy", args: ["copy", "--base", base, ...files, to], inputs: files, outputs: inst.files.map((f) => `${to}/${f}`) };
}

function runStep(r: CRun, tools: Map<string, string>, src: string, abs: (p: string) => string): Step {
  const tool = tools.get(r.tool);
  if (!tool) throw new EkaError("E_CBUILD", `run '${r.name}' uses tool '${r.tool}', which is not a tool this package builds; add it as a tool`);
  const out = (p: string) => (p.startsWith("$out/") || p.startsWith("/") ? p : `/build/gen/${p}`);
  return { id: `run:${r.name}`, tool, args: [r.tool, ...r.args], cwd: src, deps: [`ld:tool:${r.tool}`], inputs: r.inputs.map(abs), outputs: r.outputs.map(out) };
}

/**
 * The `builtin:copy` steps installing a library's headers into `$out/include`: each header keeps
 * its path below the outermost include directory it sits in (include/x/y.h → x/y.h), one step per directory.
 */
function installHeaders(lib: CLibrary, includeDirs: string[], src: string, abs: (p: string) => string): Step[] {
  const bases = new Map<string, string[]>();
  for (const h of lib.headers ?? []) {
    // Below an include directory, a header keeps its path from there (the outermost one, so
    // include/sodium/x.h stays sodium/x.h when include/sodium is on the path too); an absolute one
    // outside any (another source's `${get.port}/x.h`) is installed by its file name; others from
    // the source dir.
    const full = abs(h);
    const dir = includeDirs.map((d) => abs(d.replace(/\/+$/, ""))).filter((d) => full.startsWith(d + "/")).sort((a, b) => a.length - b.length)[0];
    const base = dir ?? (h.startsWith("/") && !full.startsWith(src + "/") ? full.slice(0, full.lastIndexOf("/")) : src);
    bases.set(base, [...(bases.get(base) ?? []), h]);
  }
  return [...bases].map(([base, hs], n) => ({
    id: `install-headers:lib${lib.name}${n ? `:${n + 1}` : ""}`,
    tool: "builtin:copy",
    args: ["copy", "--base", base, ...hs.map(abs), "$out/include"],
    inputs: hs.map(abs),
    outputs: hs.map((h) => `$out/include/${abs(h).slice(base.length + 1)}`),
  }));
}
