/**
 * Node-only: where an atom's `path` sources and `path` dependencies may point. A fetched atom (a
 * git checkout in the cache) may name only paths inside its own tree, whatever the command line
 * says. A local atom may name paths inside its repository (the git work tree holding it, or its
 * own directory where there is none); beyond that only what the user allowed by name
 * (`--allow-outside DIR`, or `EKA_ALLOW_OUTSIDE`). Paths are compared with every symlink resolved,
 * so a link cannot carry a path out. A fetched atom's git sources and dependencies must be remote
 * too: a `file://` URL or a local path as a git URL would read this machine just the same.
 */
import { existsSync, realpathSync } from "node:fs";
import { basename, delimiter, dirname, join, resolve as resolvePath, sep } from "node:path";
import { manifestError } from "./errors.ts";
import type { Manifest } from "./manifest.ts";

/** What an atom's paths must stay inside. */
export interface Bound {
  /** Real path of the atom's repository (local) or of its own tree (fetched). */
  root: string;
  fetched: boolean;
  /** Real paths a local atom may also reach (ignored for a fetched one). */
  allowed: readonly string[];
}

/** The variable a user sets to allow paths outside local repositories without the flag. */
export const ALLOW_OUTSIDE_ENV = "EKA_ALLOW_OUTSIDE";

/** The bound of a local atom in `dir` (a real path): its git work tree, else `dir` itself. */
export function localBound(dir: string, allowed: readonly string[]): Bound {
  for (let d = dir; ; d = dirname(d)) {
    // `.git` is a directory in a clone and a file in a worktree or submodule.
    if (existsSync(join(d, ".git"))) return { root: d, fetched: false, allowed };
    if (dirname(d) === d) return { root: dir, fetched: false, allowed };
  }
}

export function fetchedBound(dir: string): Bound {
  return { root: realPathOf(dir), fetched: true, allowed: [] };
}

/** `--allow-outside` values and `EKA_ALLOW_OUTSIDE` (separated like PATH), as real paths. */
export function allowedDirs(given: readonly string[] | undefined, env = process.env[ALLOW_OUTSIDE_ENV]): string[] {
  const all = [...(given ?? []), ...(env ? env.split(delimiter).filter((s) => s !== "") : [])];
  return all.map((p) => realPathOf(resolvePath(p)));
}

/**
 * Throws E_PATH_OUTSIDE at the atom.toml entry when `declared` (relative to `dir`) leaves `bound`.
 * `where` is the entry's key path (["srcs", "x", "path"]).
 */
export function checkContained(dir: string, m: Manifest, where: string[], declared: string, bound: Bound): void {
  const real = realPathOf(resolvePath(dir, declared));
  if (inside(real, bound.root)) return;
  if (!bound.fetched && bound.allowed.some((a) => inside(real, a))) return;
  const entry = `[${where.slice(0, -1).join(".")}] path '${declared}'`;
  const site = { file: m.file, positions: m.positions, path: where };
  if (bound.fetched) {
    throw manifestError("E_PATH_OUTSIDE", site, `${entry} resolves to ${real}, outside ${m.atom.id}'s own tree (${bound.root}); a fetched atom may only name paths inside itself. Report it to the atom's author`, "value");
  }
  const what = existsSync(join(bound.root, ".git")) ? "its git work tree" : "its directory; it is in no git work tree";
  throw manifestError(
    "E_PATH_OUTSIDE",
    site,
    `${entry} resolves to ${real}, outside ${m.atom.id}'s repository ${bound.root} (${what}). Move it inside, or allow it: eka build --allow-outside ${real} (or ${ALLOW_OUTSIDE_ENV}=${real})`,
    "value",
  );
}

/** Throws E_PATH_OUTSIDE when a fetched atom names a git repository on this machine. */
export function checkRemote(m: Manifest, where: string[], url: string, bound: Bound): void {
  if (!bound.fetched || !isLocalGitUrl(url)) return;
  throw manifestError(
    "E_PATH_OUTSIDE",
    { file: m.file, positions: m.positions, path: where },
    `[${where.slice(0, -1).join(".")}] url '${url}' is a repository on this machine; a fetched atom (${m.atom.id}) may only name remote ones (https://, ssh://, git://, host:path). Report it to the atom's author`,
    "value",
  );
}

/** As git reads a URL: file://, or a path (no scheme, and not scp-like `host:path`). */
function isLocalGitUrl(url: string): boolean {
  if (/^file:/i.test(url)) return true;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return false;
  return !/^[^/:]+:/.test(url);
}

function inside(p: string, root: string): boolean {
  return p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** The real path of `abs`; a part that does not exist yet is kept as written below its real parent. */
function realPathOf(abs: string): string {
  try {
    return realpathSync(abs);
  } catch {
    const parent = dirname(abs);
    return parent === abs ? abs : join(realPathOf(parent), basename(abs));
  }
}
