/**
 * Node-only: every file a [build.lib.*] or [build.bin.*] `sources` list (or a library's `headers`) names must exist in its
 * source tree, checked before anything is built so the error names the atom.toml entry (a compile
 * of a missing file would only name the guest path). Only path sources are on this host; a file
 * of a fetched (url, git) source is checked by its compile.
 */
import { existsSync } from "node:fs";
import { resolve as resolvePath } from "node:path";
import { manifestError } from "./errors.ts";
import type { Manifest } from "./manifest.ts";

export function checkBuildSources(dir: string, m: Manifest): void {
  const b = m.build;
  if (!b) return;
  // A library's `headers` are files to install (globs are allowed and may match nothing).
  const lists = [
    ...Object.entries(b.lib).flatMap(([n, l]) => [["lib", n, "sources", l.sources] as const, ["lib", n, "headers", l.headers] as const]),
    ...Object.entries(b.bin).map(([n, e]) => ["bin", n, "sources", e.sources] as const),
  ];
  for (const [kind, name, key, files] of lists) {
    files.forEach((file, i) => {
      if (key === "headers" && /[*?[]/.test(file)) return;
      const host = hostFileOf(dir, m, file);
      if (host === undefined || existsSync(host)) return;
      throw manifestError(
        "E_SOURCE",
        { file: m.file, positions: m.positions, path: ["build", kind, name, key, String(i)] },
        `[build.${kind}.${name}] ${key}: '${file}' does not exist (looked for ${host}); fix the name, or add the file`,
        "value",
      );
    });
  }
}

/** The host file a `sources` entry names, when it lies in a path source; else undefined. */
function hostFileOf(dir: string, m: Manifest, file: string): string | undefined {
  const b = m.build as NonNullable<Manifest["build"]>;
  // `${get.NAME}` is the only variable a source file name can usefully hold; others are left to the compile.
  const named = file.replace(/^\$\{\s*get\.([A-Za-z0-9_-]+)\s*\}/, "/build/$1");
  if (named.includes("${")) return undefined;
  const guest = named.startsWith("/") ? named : `/build/${b.src}/${named}`;
  const m2 = /^\/build\/([^/]+)\/(.+)$/.exec(guest);
  if (!m2) return undefined;
  const src = m.srcs[m2[1] as string];
  if (src?.kind !== "path") return undefined;
  return resolvePath(dir, src.path as string, m2[2] as string);
}
