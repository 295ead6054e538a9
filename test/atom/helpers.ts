// Shared fixtures: atoms written into temp dirs, local git repositories with tags (file:// URLs).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * A temp directory; with `repo` it is a git work tree, so sibling atoms in it may name each other
 * by path (outside one repository that needs --allow-outside).
 */
export function tempDir(prefix: string, { repo = false } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), `eka-atom-${prefix}-`));
  if (repo) execFileSync("git", ["init", "-q", dir]);
  return dir;
}

/** Writes files (relative path → text) under `dir`; returns `dir`. */
export function writeFiles(dir: string, files: Record<string, string>): string {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: "eka test",
  GIT_AUTHOR_EMAIL: "test@eka.invalid",
  GIT_COMMITTER_NAME: "eka test",
  GIT_COMMITTER_EMAIL: "test@eka.invalid",
  GIT_AUTHOR_DATE: "2024-01-01T00:00:00Z",
  GIT_COMMITTER_DATE: "2024-01-01T00:00:00Z",
};

export function git(dir: string, ...args: string[]): string {
  return execFileSync("git", ["-C", dir, ...args], { env: GIT_ENV, encoding: "utf8" }).trim();
}

/** A C library atom's files at `version` (its greeting names the version). */
export function libAtom(id: string, version: string): Record<string, string> {
  return {
    "atom.toml": `[atom]\nid = "${id}"\nversion = "${version}"\n\n[srcs.main]\npath = "src"\n\n[build]\nkind = "c"\n\n[build.lib.${id}]\nsources = ["${id}.c"]\nheaders = ["${id}.h"]\n`,
    [`src/${id}.h`]: `const char *${id}_version(void);\n`,
    [`src/${id}.c`]: `const char *${id}_version(void) { return "${version}"; }\n`,
  };
}

/**
 * A git repository in which each version of the atom is a commit tagged `v<version>` (annotated
 * tags for odd patch numbers, to cover both kinds). Returns its file:// URL and directory.
 */
export function gitAtomRepo(root: string, id: string, versions: string[]): { url: string; dir: string } {
  const dir = join(root, `${id}.git-src`);
  mkdirSync(dir, { recursive: true });
  git(dir, "init", "-q", "-b", "main");
  for (const v of versions) addGitVersion(dir, id, v);
  return { url: pathToFileURL(dir).href, dir };
}

export function addGitVersion(dir: string, id: string, v: string): string {
  writeFiles(dir, libAtom(id, v));
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", `release ${v}`);
  if (Number(v.split(".")[2]) % 2 === 1) git(dir, "tag", "-a", "-m", `v${v}`, `v${v}`);
  else git(dir, "tag", `v${v}`);
  return git(dir, "rev-parse", "HEAD");
}
