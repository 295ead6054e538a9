/**
 * The path rules of the operating system a checkout is read under. eka runs its host side on
 * Linux, macOS and Windows, and a source must hash the same on each; `EKA_HOST_RULES` makes this
 * host apply another system's rules, so their effect can be seen (and tested) without that system:
 *
 * - `posix`: names are bytes (UTF-8), case matters, symlinks exist. Nothing is changed or checked.
 * - `darwin` (macOS, APFS/HFS+ as installed): names are case-insensitive and compared under Unicode
 *   normalisation, and HFS+ returns NFD names. Names enter a tree as NFC, so an NFD checkout hashes
 *   like the NFC one; two names that are one file there (`Foo.h`, `foo.h`) are E_CASE_COLLISION.
 * - `win32` (NTFS): case-insensitive names, no symlinks in a checkout (git writes a file holding the
 *   target instead), names Windows cannot hold (`aux.c`, `a:b`, a trailing dot) refused.
 *
 * Path joins of host paths go through the functions below, which take the `node:path` flavour, so
 * the Windows forms (`C:\repo\a\b.c`) can be tested here with `path.win32`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { EkaError } from "../errors.ts";

export type HostRules = "posix" | "win32" | "darwin";

export const HOST_RULES_ENV = "EKA_HOST_RULES";

const RULES: readonly HostRules[] = ["posix", "win32", "darwin"];

/** EKA_HOST_RULES, else the rules of the system eka runs on. */
export function hostRules(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): HostRules {
  const v = env[HOST_RULES_ENV];
  if (v === undefined || v === "") return platform === "win32" ? "win32" : platform === "darwin" ? "darwin" : "posix";
  if ((RULES as readonly string[]).includes(v)) return v as HostRules;
  throw new EkaError("E_HOST_RULES", `${HOST_RULES_ENV}='${v}' is not one of ${RULES.join(", ")}; unset it to use this system's rules`);
}

/** The node:path flavour of a system's host paths. */
export const pathApiOf = (rules: HostRules): path.PlatformPath => (rules === "win32" ? path.win32 : path.posix);

const label = (rules: HostRules) => `${rules === "darwin" ? "macOS" : "Windows"} rules (${HOST_RULES_ENV}=${rules})`;

/** The host path of tree path `rel` ("/"-separated, "" for the root) below host directory `root`. */
export function hostJoin(root: string, rel: string, p: path.PlatformPath = path): string {
  return rel === "" ? root : p.join(root, ...rel.split("/"));
}

/**
 * The tree path ("/"-separated) of host path `abs` below `root`: `a/b.c` for `C:\repo\a\b.c` under
 * `C:\repo` with path.win32; "" for the root itself; null when `abs` is not below `root`.
 */
export function treePathOf(root: string, abs: string, p: path.PlatformPath = path): string | null {
  const rel = p.relative(root, abs);
  if (rel === "") return "";
  if (p.isAbsolute(rel) || rel === ".." || rel.startsWith(`..${p.sep}`)) return null;
  return rel.split(p.sep).join("/");
}

/** Whether host path `abs` is `root` or below it (as the system compares: case-insensitively on Windows). */
export const isInside = (abs: string, root: string, p: path.PlatformPath = path): boolean => treePathOf(root, abs, p) !== null;

/**
 * The names of host directory `dir` (as readdir gave them) as they enter a tree under `rules`: NFC
 * under darwin rules, else unchanged, in the same order. Throws E_CASE_COLLISION naming both paths
 * when two are one file under the rules, and, under win32 rules, E_BAD_FILE_NAME for a name Windows
 * cannot hold.
 */
export function treeNames(dir: string, names: readonly string[], rules: HostRules, p: path.PlatformPath = path): string[] {
  if (rules === "posix") return names as string[];
  const out = rules === "darwin" ? names.map((n) => n.normalize("NFC")) : (names as string[]);
  const seen = new Map<string, string>();
  for (const name of [...names].sort()) {
    if (rules === "win32") checkWindowsName(dir, name, p);
    const key = rules === "darwin" ? name.normalize("NFC").toLowerCase() : name.toLowerCase();
    const other = seen.get(key);
    if (other === undefined) {
      seen.set(key, name);
      continue;
    }
    const how = other.normalize("NFC") === name.normalize("NFC") ? "differ only in Unicode normalisation (NFC/NFD)" : "differ only in case";
    throw new EkaError(
      "E_CASE_COLLISION",
      `${p.join(dir, other)} and ${p.join(dir, name)} ${how}: under ${label(rules)} they are one file, so this tree cannot be checked out there as it is; rename or remove one of them`,
      { paths: [p.join(dir, other), p.join(dir, name)] },
    );
  }
  return out;
}

/**
 * Whether tree path `rel` names an entry below host directory `root` with exactly that name, as a
 * tree read under `rules` shows it: under darwin rules an NFC name finds its NFD file; under darwin
 * and win32 rules a name differing in case finds nothing, although those systems' file systems
 * would open it (the tree, and Linux, have no such name). `rel` is "/"-separated, without `..`.
 */
export function existsInTree(root: string, rel: string, rules: HostRules): boolean {
  if (rules === "posix") return fs.existsSync(hostJoin(root, rel));
  let disk = root;
  for (const part of rel.split("/").filter((c) => c !== "" && c !== ".")) {
    let names: string[];
    try {
      names = fs.readdirSync(disk);
    } catch {
      return false;
    }
    const i = treeNames(disk, names, rules).indexOf(rules === "darwin" ? part.normalize("NFC") : part);
    if (i < 0) return false;
    disk = path.join(disk, names[i] as string);
  }
  return true;
}

/** Throws E_SYMLINK_UNSUPPORTED for the symlink `link` (pointing at `target`) under win32 rules. */
export function checkSymlink(link: string, target: string, rules: HostRules, p: path.PlatformPath = path): void {
  if (rules !== "win32") return;
  const to = p.resolve(p.dirname(link), target);
  throw new EkaError(
    "E_SYMLINK_UNSUPPORTED",
    `${link} is a symlink to ${to}: under ${label(rules)} a checkout has no symlinks (git writes a file holding the target instead), so this source would not be the same tree there; put the file or directory it points at in its place, or leave it out of the source`,
    { paths: [link, to] },
  );
}

// Names the Windows API refuses or changes: device names (with any extension), reserved characters,
// control characters, a trailing dot or space (which Windows strips).
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;
const WINDOWS_RESERVED = /[<>:"\\|?*\x00-\x1f]/;

function checkWindowsName(dir: string, name: string, p: path.PlatformPath): void {
  const why = WINDOWS_DEVICE.test(name)
    ? "is a device name there"
    : WINDOWS_RESERVED.test(name)
      ? `holds '${WINDOWS_RESERVED.exec(name)?.[0].replace(/[\x00-\x1f]/, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`)}', which Windows reserves`
      : /[. ]$/.test(name)
        ? "ends in a dot or a space, which Windows drops"
        : undefined;
  if (why === undefined) return;
  throw new EkaError("E_BAD_FILE_NAME", `${p.join(dir, name)}: the name ${why}, so under ${label("win32")} this tree cannot be checked out as it is; rename it`);
}
