import { EkaError } from "../../errors.ts";
import { SEED_LLVM_TOOL, type Step } from "../../ir/types.ts";

export const DEFAULT_TARGET = "wasm32-wasip1";

export interface CLibrary {
  /** Builds $out/lib/lib<name>.a. */
  name: string;
  /** Source files, relative to srcDir. */
  sources: string[];
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
}

/** The steps of a C build. Deterministic: the same spec gives the same steps (and pid). */
export function cbuildSteps(spec: CBuildSpec): Step[] {
  const src = (spec.srcDir ?? "/build/src").replace(/\/+$/, "");
  const cc = spec.language === "c++" ? "clang++" : "clang";
  const target = `--target=${spec.target ?? DEFAULT_TARGET}`;
  const abs = (p: string) => (p.startsWith("/") ? p : `${src}/${p}`);
  const deps = spec.deps ?? [];
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

  const compile = (unit: string, file: string, cflags: string[] | undefined, defines: CLibrary["defines"]) => {
    const obj = `/build/obj/${unit}/${file.replace(/^\/+/, "").replace(/\.[^./]+$/, "")}.o`;
    const id = `cc:${unit}/${file}`;
    add({
      id,
      tool: SEED_LLVM_TOOL,
      args: [cc, target, ...(spec.cflags ?? []), ...(cflags ?? []), ...defs({ ...spec.defines, ...defines }), ...includes, "-c", abs(file), "-o", obj],
      inputs: [abs(file), ...headerGlobs, ...deps],
      outputs: [obj],
    });
    return { id, obj };
  };

  for (const lib of spec.libraries ?? []) {
    if (lib.sources.length === 0) throw new EkaError("E_CBUILD", `library '${lib.name}' has no sources`);
    const objs = lib.sources.map((f) => compile(`lib${lib.name}`, f, lib.cflags, lib.defines));
    const archive = `$out/lib/lib${lib.name}.a`;
    add({
      id: `ar:lib${lib.name}`,
      tool: SEED_LLVM_TOOL,
      args: ["llvm-ar", "rcsD", archive, ...objs.map((o) => o.obj)],
      deps: objs.map((o) => o.id),
      inputs: objs.map((o) => o.obj),
      outputs: [archive],
    });
    for (const step of installHeaders(lib, spec.includeDirs ?? [], src, abs)) add(step);
  }

  for (const exe of spec.executables ?? []) {
    if (exe.sources.length === 0) throw new EkaError("E_CBUILD", `executable '${exe.name}' has no sources`);
    const objs = exe.sources.map((f) => compile(exe.name, f, exe.cflags, exe.defines));
    const own: string[] = [];
    const ownIds: string[] = [];
    const ext: string[] = [];
    for (const l of exe.link ?? []) {
      if (libs.has(l)) {
        own.push(`$out/lib/lib${l}.a`);
        ownIds.push(`ar:lib${l}`);
      } else ext.push(`-l${l}`);
    }
    const output = `$out/bin/${exe.name}.wasm`;
    add({
      id: `ld:${exe.name}`,
      tool: SEED_LLVM_TOOL,
      args: [cc, target, ...(spec.cflags ?? []), ...objs.map((o) => o.obj), ...own, ...deps.map((d) => `-L${d}/lib`), ...ext, ...(spec.ldflags ?? []), ...(exe.ldflags ?? []), "-o", output],
      deps: [...objs.map((o) => o.id), ...ownIds],
      inputs: [...objs.map((o) => o.obj), ...own, ...deps],
      outputs: [output],
    });
  }
  return steps;
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
