/**
 * A `.deb` of a package's programs (`eka get --deb`). Layout of the data:
 *
 *   /usr/bin/<program>                   a launcher (sh) per program of the package
 *   /usr/lib/eka/store/<basename>/…      the package's closure, as it is under /nix/store
 *
 * The closure lives under /usr/lib/eka/store, not /nix/store, so that dpkg never owns files in a
 * Nix store on the same machine. A launcher finds that directory next to itself
 * (`<its dir>/../lib/eka/store`, so an unpacked or `dpkg --root` tree works too) and runs
 * `eka wasi run` with it mounted read-only at /nix/store, where the program's references point,
 * and the current directory read-write: the target needs Node.js 20 or later and `eka` on PATH.
 *
 * The archive is reproducible: ar members `debian-binary`, `control.tar.gz`, `data.tar.gz` with
 * mtime, uid and gid fixed; the tars as tar.node.ts writes them; gzip with no name and no time.
 */
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import semver from "semver";
import { EkaError } from "../errors.ts";
import { parseStorePath } from "../store/store-path.ts";
import type { Store } from "../store/store.ts";
import { closureEntries, tarStream, type TarEntry } from "./tar.node.ts";
import { concatBytes } from "../util/bytes.ts";

export const DEB_STORE_DIR = "/usr/lib/eka/store";

export interface DebSpec {
  /** The atom id; becomes the Package name (lowercased, other characters refused). */
  id: string;
  /** Semver; becomes the Debian version (see debVersion). */
  version: string;
  description?: string;
  maintainer: string;
  /** The package's output path; its programs are `bin/<name>.wasm` in it. */
  storePath: string;
  programs: string[];
  /** Where the package came from, for messages (atom.toml's path). */
  where: string;
}

/** The .deb's bytes; see the file's header. `mtime` in seconds (SOURCE_DATE_EPOCH, else 0). */
export function buildDeb(store: Store, spec: DebSpec, mtime: number): Uint8Array {
  const pkg = debPackageName(spec.id, spec.where);
  const version = debVersion(spec.version, spec.where);
  if (spec.programs.length === 0) throw new EkaError("E_NO_PROGRAM", `${spec.where}: ${spec.id} builds no program, so a .deb would install nothing to run; add a [build.bin.NAME] table`);
  for (const prog of spec.programs) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(prog)) throw new EkaError("E_DIST_FORMAT", `${spec.where}: the program name '${prog}' cannot be a file in /usr/bin; rename [build.bin.${prog}]`);
    if (store.pathTree(spec.storePath).stat(`bin/${prog}.wasm`)?.kind !== "file") {
      throw new EkaError("E_NO_PROGRAM", `${spec.storePath} has no bin/${prog}.wasm; rebuild it ('eka build --repair')`);
    }
  }
  const closure = store.closure([spec.storePath]);
  const launchers = spec.programs.sort().map((prog) => ({ prog, text: utf8.encode(launcher(prog, spec.storePath, pkg)) }));
  const storeDir = DEB_STORE_DIR.slice(1);
  const entries = (): Iterable<TarEntry> => [
    { kind: "directory", path: "." },
    { kind: "directory", path: "./usr" },
    { kind: "directory", path: "./usr/bin" },
    ...launchers.map(({ prog, text }): TarEntry => ({ kind: "file", path: `./usr/bin/${prog}`, size: text.length, executable: true, data: () => [text] })),
    ...[...closureEntries(store, closure, `./${storeDir}`)].slice(2),
  ];
  // One pass for the sizes and md5sums, one to write: entries read their data lazily.
  let bytes = 0;
  const sums: string[] = [];
  for (const e of entries()) {
    if (e.kind !== "file") continue;
    const h = createHash("md5");
    for (const c of e.data()) h.update(c);
    sums.push(`${h.digest("hex")}  ${e.path.slice(2)}\n`);
    bytes += e.size;
  }
  const control = [
    `Package: ${pkg}`,
    `Version: ${version}`,
    "Architecture: all",
    `Maintainer: ${spec.maintainer}`,
    `Installed-Size: ${Math.ceil(bytes / 1024)}`,
    "Section: misc",
    "Priority: optional",
    "Recommends: nodejs (>= 20)",
    `Description: ${oneLine(spec.description ?? `${spec.id}, built by eka`)}`,
    ` Programs: ${launchers.map((l) => l.prog).join(", ")}. Built by eka as WebAssembly; each`,
    ` /usr/bin launcher runs its program with 'eka wasi run', which needs Node.js 20`,
    ` or later and eka on PATH. The closure is under ${DEB_STORE_DIR}.`,
    ` Store path: ${spec.storePath}`,
  ].join("\n") + "\n";
  const controlText = utf8.encode(control);
  const md5sums = utf8.encode(sums.join(""));
  const controlTar = concat(tarStream([
    { kind: "directory", path: "." },
    { kind: "file", path: "./control", size: controlText.length, executable: false, data: () => [controlText] },
    { kind: "file", path: "./md5sums", size: md5sums.length, executable: false, data: () => [md5sums] },
  ], mtime));
  const dataTar = concat(tarStream(entries(), mtime));
  return ar([
    ["debian-binary", utf8.encode("2.0\n")],
    ["control.tar.gz", gzip(controlTar)],
    ["data.tar.gz", gzip(dataTar)],
  ], mtime);
}

/** The file name Debian gives it: `<package>_<version without epoch>_all.deb`. */
export function debFileName(id: string, version: string, where: string): string {
  return `${debPackageName(id, where)}_${debVersion(version, where).replace(/^\d+:/, "")}_all.deb`;
}

/** An atom id as a Debian package name: lowercase letters, digits, '+', '-', '.'; 2+ characters. */
export function debPackageName(id: string, where: string): string {
  const name = id.toLowerCase().replace(/_/g, "-");
  if (!/^[a-z0-9][a-z0-9+.-]+$/.test(name)) {
    throw new EkaError("E_DIST_FORMAT", `${where}: the atom id '${id}' cannot be a Debian package name (lowercase letters, digits, '+', '-', '.'; at least 2 characters, starting with a letter or digit)`);
  }
  return name;
}

/**
 * A semver version as a Debian one that sorts the same way: a prerelease `1.0.0-rc.1` becomes
 * `1.0.0~rc.1` (before 1.0.0, as semver has it); build metadata `+b.2` is kept (`1.0.0+b.2`).
 */
export function debVersion(version: string, where: string): string {
  const v = semver.parse(version);
  if (!v) throw new EkaError("E_DIST_FORMAT", `${where}: version '${version}' is not semver, so it has no Debian form`);
  const pre = v.prerelease.length ? `~${v.prerelease.join(".")}` : "";
  const build = v.build.length ? `+${v.build.join(".")}` : "";
  return `${v.major}.${v.minor}.${v.patch}${pre}${build}`;
}

function launcher(prog: string, storePath: string, pkg: string): string {
  const base = parseStorePath(storePath).basename;
  return [
    "#!/bin/sh",
    `# ${prog} from the package ${pkg}, built by eka: runs ${storePath}/bin/${prog}.wasm.`,
    "# Needs Node.js 20 or later and eka on PATH (npm install -g eka).",
    'here=$(dirname "$(readlink -f "$0")")',
    'store="$here/../lib/eka/store"',
    'command -v eka >/dev/null 2>&1 || { echo "' + prog + ': needs eka on PATH (and Node.js 20+): npm install -g eka" >&2; exit 127; }',
    `exec eka wasi run --readonly-dir "$store::/nix/store" --dir . --argv0 ${prog} "$store/${base}/bin/${prog}.wasm" "$@"`,
    "",
  ].join("\n");
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim() || "built by eka";
}

const utf8 = new TextEncoder();

function gzip(b: Uint8Array): Uint8Array {
  // zlib's gzip header has no name and mtime 0; level 9 for size, the same bytes every run.
  return gzipSync(b, { level: 9 });
}

function concat(chunks: Iterable<Uint8Array>): Uint8Array {
  return concatBytes([...chunks]);
}

/** A System V ar archive, as dpkg-deb writes it: `!<arch>\n`, then 60-byte headers. */
function ar(members: [string, Uint8Array][], mtime: number): Uint8Array {
  const parts: Uint8Array[] = [utf8.encode("!<arch>\n")];
  for (const [name, data] of members) {
    const h = `${name.padEnd(16)}${String(mtime).padEnd(12)}${"0".padEnd(6)}${"0".padEnd(6)}${"100644".padEnd(8)}${String(data.length).padEnd(10)}\`\n`;
    parts.push(utf8.encode(h), data);
    if (data.length % 2) parts.push(utf8.encode("\n"));
  }
  return concat(parts);
}
