/**
 * Node-only: every file a [build.lib.*] or [build.bin.*] `sources` list (or a library's `headers`) names must exist in its
 * source tree, checked before anything is built so the error names the atom.toml entry (a compile
 * of a missing file would only name the guest path). Only path sources are on this host; a file
 * of a fetched (url, git) source is found missing by the step that needs it (E_MISSING_INPUT),
 * which the CLI reports at its entry through missingSourceError.
 */
import { existsSync } from "node:fs";
import { resolve as resolvePath } from "node:path";
import type { EkaError } from "../errors.ts";
import { existsInTree, hostRules } from "../store/host-rules.node.ts";
import { manifestError } from "./errors.ts";
import type { Manifest } from "./manifest.ts";

export function checkBuildSources(dir: string, m: Manifest): void {
  // A path source holding the atom's own directory would hold atom.lock, which records that
  // source's hash: every lock written changes the source, so no build could ever match it.
  for (const [name, s] of Object.entries(m.srcs)) {
    if (s.kind !== "path" || resolvePath(dir, s.path as string) !== resolvePath(dir)) continue;
    throw manifestError(
      "E_SOURCE",
      { file: m.file, positions: m.positions, path: ["srcs", name, "path"] },
      `[srcs.${name}] path '${String(s.path)}' is the atom's own directory, which holds atom.lock (and its hash of this source); put the code in a subdirectory and name that (path = "src")`,
      "value",
    );
  }
  // A library's `headers` are files to install (globs are allowed and may match nothing).
  for (const [kind, name, key, files] of sourceLists(m)) {
    files.forEach((file, i) => {
      if (key === "headers" && /[*?[]/.test(file)) return;
      const at = hostFileOf(dir, m, file);
      if (at === undefined || exists(at)) return;
      const host = at.host;
      throw manifestError(
        "E_SOURCE",
        { file: m.file, positions: m.positions, path: ["build", kind, name, key, String(i)] },
        `[build.${kind}.${name}] ${key}: '${file}' does not exist (looked for ${host}); fix the name, or add the file`,
        "value",
      );
    });
  }
}

/**
 * The `sources`/`headers` entry of `m` that names guest path `guest` (a file a build step found
 * missing in a fetched source, which this host could not check before the build), as the error
 * to report at its atom.toml position; undefined when no entry names it.
 */
export function missingSourceError(m: Manifest, guest: string): EkaError | undefined {
  for (const [kind, name, key, files] of sourceLists(m)) {
    const i = files.findIndex((f) => guestOf(m, f) === guest);
    if (i < 0) continue;
    const src = /^\/build\/([^/]+)\//.exec(guest)?.[1] ?? "";
    return manifestError(
      "E_SOURCE",
      { file: m.file, positions: m.positions, path: ["build", kind, name, key, String(i)] },
      `[build.${kind}.${name}] ${key}: '${files[i]}' is not in source '${src}' (${guest} does not exist once it is fetched); fix the name, or the source`,
      "value",
    );
  }
  return undefined;
}

/** Every file list of [build]: each library's sources and headers, each executable's sources. */
function sourceLists(m: Manifest): (readonly ["lib" | "bin", string, "sources" | "headers", string[]])[] {
  const b = m.build;
  if (!b) return [];
  return [
    ...Object.entries(b.lib).flatMap(([n, l]) => [["lib", n, "sources", l.sources] as const, ["lib", n, "headers", l.headers] as const]),
    ...Object.entries(b.bin).map(([n, e]) => ["bin", n, "sources", e.sources] as const),
  ];
}

/** The guest path a `sources` entry names (`${get.NAME}` filled in); undefined for other variables. */
function guestOf(m: Manifest, file: string): string | undefined {
  const b = m.build as NonNullable<Manifest["build"]>;
  // `${get.NAME}` is the only variable a source file name can usefully hold; others are left to the compile.
  const named = file.replace(/^\$\{\s*get\.([A-Za-z0-9_-]+)\s*\}/, "/build/$1");
  if (named.includes("${")) return undefined;
  return named.startsWith("/") ? named : `/build/${b.src}/${named}`;
}

/**
 * Whether the file is in its source as a build reads it: by the exact name under every system's
 * rules (a file system that ignores case would find `Foo.c` for `foo.c`; Linux, and the tree, do not).
 */
function exists(at: { host: string; root: string; rel: string }): boolean {
  return at.rel.split("/").includes("..") ? existsSync(at.host) : existsInTree(at.root, at.rel, hostRules());
}

/**
 * The host file a `sources` entry names, when it lies in a path source (with the source's
 * directory and the file's tree path in it); else undefined.
 */
function hostFileOf(dir: string, m: Manifest, file: string): { host: string; root: string; rel: string } | undefined {
  const guest = guestOf(m, file);
  if (guest === undefined) return undefined;
  const m2 = /^\/build\/([^/]+)\/(.+)$/.exec(guest);
  if (!m2) return undefined;
  const src = m.srcs[m2[1] as string];
  if (src?.kind !== "path") return undefined;
  const root = resolvePath(dir, src.path as string);
  return { host: resolvePath(root, m2[2] as string), root, rel: m2[2] as string };
}
