/**
 * Reproducible tar archives (`eka get --tar`, and the two tars inside a `.deb`). The bytes depend
 * only on the entries: POSIX ustar headers in the order given, mode 0755 for directories and
 * executables, 0644 for other files, 0777 for symlinks, uid/gid 0 with no user or group names,
 * one mtime for everything (SOURCE_DATE_EPOCH, else 0). A name or link target too long for ustar
 * gets a PAX extended header (`path=`, `linkpath=`) under the fixed name `././@PaxHeader`; the
 * archive ends with two zero blocks and is padded to whole 10 KiB records, as GNU tar writes it.
 *
 * `closureTar` lays out store paths as `nix/store/<basename>/…` (directories `nix/` and
 * `nix/store/` first, then each path in sorted order, names inside sorted by their UTF-8 bytes),
 * so `tar -C / -x` puts the closure where a Nix store has it.
 */
import * as fs from "node:fs";
import { EkaError } from "../errors.ts";
import { compareNames } from "../store/directory.ts";
import { parseStorePath } from "../store/store-path.ts";
import type { Store } from "../store/store.ts";
import type { TreeReader } from "../store/types.ts";

export type TarEntry =
  | { kind: "directory"; path: string }
  | { kind: "file"; path: string; size: number; executable: boolean; data: () => Iterable<Uint8Array> }
  | { kind: "symlink"; path: string; target: string };

const BLOCK = 512;
const RECORD = 20 * BLOCK;
const utf8 = new TextEncoder();

/** The tar stream of `entries` (in the order given), every entry with mtime `mtime` (seconds). */
export function* tarStream(entries: Iterable<TarEntry>, mtime: number): Generator<Uint8Array> {
  let written = 0;
  for (const e of entries) {
    const name = e.kind === "directory" && !e.path.endsWith("/") ? `${e.path}/` : e.path;
    const size = e.kind === "file" ? e.size : 0;
    const target = e.kind === "symlink" ? e.target : "";
    const split = splitName(name);
    const pax: string[] = [];
    if (!split) pax.push(paxRecord("path", name));
    if (utf8.encode(target).length > 100) pax.push(paxRecord("linkpath", target));
    if (size > 0o77777777777) pax.push(paxRecord("size", String(size)));
    if (pax.length) {
      const body = utf8.encode(pax.join(""));
      yield header({ name: "././@PaxHeader", prefix: "", mode: 0o644, size: body.length, mtime, type: "x", link: "" });
      yield body;
      yield padding(body.length);
      written += BLOCK + body.length + padLength(body.length);
    }
    const mode = e.kind === "directory" ? 0o755 : e.kind === "symlink" ? 0o777 : e.executable ? 0o755 : 0o644;
    const type = e.kind === "directory" ? "5" : e.kind === "symlink" ? "2" : "0";
    const [prefix, short] = split ?? ["", truncate(name, 100)];
    yield header({ name: short, prefix, mode, size: size > 0o77777777777 ? 0 : size, mtime, type, link: truncate(target, 100) });
    written += BLOCK;
    if (e.kind === "file") {
      let n = 0;
      for (const chunk of e.data()) {
        n += chunk.length;
        yield chunk;
      }
      if (n !== size) throw new EkaError("E_SOURCE", `${e.path} was ${size} bytes when the archive began and ${n} when it was read; write the archive again`);
      yield padding(size);
      written += size + padLength(size);
    }
  }
  written += 2 * BLOCK;
  const rest = (RECORD - (written % RECORD)) % RECORD;
  yield new Uint8Array(2 * BLOCK + rest);
}

/** The entries of store paths at `nix/store/<basename>/…`, with `nix/` and `nix/store/` first. */
export function* closureEntries(store: Store, storePaths: string[], prefix = "nix/store"): Generator<TarEntry> {
  const parts = prefix.split("/");
  for (let i = 1; i <= parts.length; i++) yield { kind: "directory", path: parts.slice(0, i).join("/") };
  for (const p of [...storePaths].sort()) yield* treeEntries(store.pathTree(p), `${prefix}/${parseStorePath(p).basename}`);
}

/** A tree's entries under `at`, parents first, names sorted by their UTF-8 bytes. */
export function* treeEntries(tree: TreeReader, at: string, rel = ""): Generator<TarEntry> {
  const st = tree.stat(rel);
  if (!st) throw new EkaError("E_MISSING_OBJECT", `${at} is missing from the store; run 'eka store verify'`);
  if (st.kind === "symlink") return yield { kind: "symlink", path: at, target: tree.readlink(rel) };
  if (st.kind === "file") {
    const data = () => (tree.readChunks ? tree.readChunks(rel) : [tree.readFile(rel)]);
    return yield { kind: "file", path: at, size: st.size, executable: st.executable, data };
  }
  yield { kind: "directory", path: at };
  for (const name of tree.readdir(rel).sort(compareNames)) yield* treeEntries(tree, `${at}/${name}`, rel ? `${rel}/${name}` : name);
}

/** The closure of `storePaths` as a tarball; see the file's header. */
export function closureTar(store: Store, storePaths: string[], mtime: number): Generator<Uint8Array> {
  return tarStream(closureEntries(store, store.closure(storePaths)), mtime);
}

/** The mtime archives carry: SOURCE_DATE_EPOCH (whole seconds), else 0. */
export function archiveTime(env: Record<string, string | undefined> = process.env): number {
  const s = env.SOURCE_DATE_EPOCH;
  if (s === undefined || s === "") return 0;
  if (!/^\d+$/.test(s)) throw new EkaError("E_USAGE", `SOURCE_DATE_EPOCH='${s}' is not a whole number of seconds since 1970`);
  return Number(s);
}

/** Writes chunks to `file` under a temporary name, then renames it into place. */
export function writeChunks(file: string, chunks: Iterable<Uint8Array>): number {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, "w");
  let n = 0;
  try {
    for (const c of chunks) {
      fs.writeSync(fd, c);
      n += c.length;
    }
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
  return n;
}

// ---- headers

interface Header {
  name: string;
  prefix: string;
  mode: number;
  size: number;
  mtime: number;
  type: string;
  link: string;
}

function header(h: Header): Uint8Array {
  const b = new Uint8Array(BLOCK);
  put(b, 0, 100, h.name);
  octal(b, 100, 8, h.mode);
  octal(b, 108, 8, 0);
  octal(b, 116, 8, 0);
  octal(b, 124, 12, h.size);
  octal(b, 136, 12, h.mtime);
  b.fill(0x20, 148, 156);
  put(b, 156, 1, h.type);
  put(b, 157, 100, h.link);
  put(b, 257, 6, "ustar");
  put(b, 263, 2, "00");
  octal(b, 329, 8, 0);
  octal(b, 337, 8, 0);
  put(b, 345, 155, h.prefix);
  let sum = 0;
  for (const x of b) sum += x;
  put(b, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return b;
}

/** [prefix, name] fitting ustar's 155 + 100 bytes, split at a '/'; null if it cannot be. */
function splitName(name: string): [string, string] | null {
  const bytes = utf8.encode(name);
  if (bytes.length <= 100) return ["", name];
  // The name part may end in '/' (a directory): split at a '/' before it.
  for (let i = name.length - 2; i > 0; i--) {
    if (name[i] !== "/") continue;
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (utf8.encode(rest).length > 100) break;
    if (utf8.encode(prefix).length <= 155) return [prefix, rest];
  }
  return null;
}

function paxRecord(key: string, value: string): string {
  // "<len> key=value\n", where len counts itself.
  const body = ` ${key}=${value}\n`;
  const n = utf8.encode(body).length;
  let len = n + String(n).length;
  if (String(len).length !== String(n).length) len = n + String(len).length;
  return `${len}${body}`;
}

function truncate(s: string, max: number): string {
  const b = utf8.encode(s);
  return b.length <= max ? s : new TextDecoder().decode(b.subarray(0, max)).replace(/\uFFFD+$/, "");
}

function put(b: Uint8Array, off: number, len: number, s: string): void {
  b.set(utf8.encode(s).subarray(0, len), off);
}

function octal(b: Uint8Array, off: number, len: number, n: number): void {
  put(b, off, len, `${n.toString(8).padStart(len - 1, "0")}\0`);
}

function padLength(n: number): number {
  return (BLOCK - (n % BLOCK)) % BLOCK;
}

function padding(n: number): Uint8Array {
  return new Uint8Array(padLength(n));
}
