/**
 * Nix binary caches: `nix-cache-info`, `<hash part>.narinfo` per path and the NARs under `nar/`.
 * Writing (to a directory, as `nix copy --to file://…` lays it out) lets a Nix client substitute
 * eka's outputs. Reading, from a directory, a file:// URL or an http(s):// cache, imports what
 * Nix published, uncompressed or xz-compressed, checking signatures and NAR hashes before
 * anything is added.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import xz from "xz-decompress";
import { EkaError } from "../errors.ts";
import { MemoryTree } from "./memory-tree.ts";
import { narParse } from "./nar.ts";
import { checkSigned, formatNarinfo, parseNarinfo, signPathInfo, type Narinfo } from "./narinfo.ts";
import { parseStorePath, STORE_DIR } from "./store-path.ts";
import type { Store } from "./store.ts";
import { importNar, topoSort } from "./transfer.ts";
import { fetchFailureReason } from "../util/io-errors.ts";

export interface CacheWriteResult {
  /** Paths whose narinfo was written, references first. */
  written: string[];
}

/** Writes the closure of `storePaths` into a binary cache directory; signs with `secretKey` if given. */
export function writeBinaryCache(store: Store, dir: string, storePaths: string[], options: { secretKey?: string } = {}): CacheWriteResult {
  const root = cacheDir(dir);
  fs.mkdirSync(path.join(root, "nar"), { recursive: true });
  const info = path.join(root, "nix-cache-info");
  if (!fs.existsSync(info)) atomic(info, `StoreDir: ${STORE_DIR}\nWantMassQuery: 1\nPriority: 50\n`);
  const written: string[] = [];
  for (const p of topoSort(store, store.closure(storePaths))) {
    const pi = store.queryPathInfo(p);
    if (!pi) continue;
    const file = `nar/${pi.narHash.slice("sha256:".length)}.nar`;
    const narPath = path.join(root, file);
    if (!fs.existsSync(narPath)) {
      const tmp = `${narPath}.${process.pid}.tmp`;
      const fd = fs.openSync(tmp, "w");
      try {
        for (const chunk of store.dump(p)) fs.writeSync(fd, chunk);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, narPath);
    }
    const signatures = [...pi.signatures];
    if (options.secretKey) {
      const sig = signPathInfo(pi, options.secretKey);
      if (!signatures.includes(sig)) signatures.push(sig);
    }
    const narinfo: Narinfo = { ...pi, url: file, compression: "none", fileHash: pi.narHash, fileSize: pi.narSize, signatures };
    atomic(path.join(root, `${parseStorePath(p).hashPart}.narinfo`), formatNarinfo(narinfo));
    written.push(p);
  }
  return { written };
}

/**
 * Imports `storePaths` and their references from a binary cache (a directory, file:// or
 * http(s)://). With `trustedKeys`, every narinfo must carry a valid signature by one of them
 * (E_BAD_SIGNATURE otherwise).
 */
export async function substituteFromCache(store: Store, from: string, storePaths: string[], options: { trustedKeys?: string[] } = {}): Promise<string[]> {
  const cache = openCache(from);
  const infos = new Map<string, Narinfo>();
  const want = [...storePaths];
  while (want.length) {
    const p = parseStorePath(want.pop() as string).path;
    if (infos.has(p) || store.has(p)) continue;
    const name = `${parseStorePath(p).hashPart}.narinfo`;
    const text = await cache.text(name);
    if (text === null) throw new EkaError("E_NOT_IN_CACHE", `${p} is not in the binary cache ${cache.where} (no ${name})`);
    const n = parseNarinfo(text, `${cache.where}/${name}`);
    if (n.storePath !== p) throw new EkaError("E_BAD_NARINFO", `${cache.where}/${name} describes ${n.storePath}, not ${p}`);
    if (options.trustedKeys) checkSigned(n, options.trustedKeys);
    infos.set(p, n);
    for (const r of n.references) if (r !== p) want.push(r);
  }
  // References before referrers.
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (p: string) => {
    if (seen.has(p) || !infos.has(p)) return;
    seen.add(p);
    for (const r of (infos.get(p) as Narinfo).references) if (r !== p) visit(r);
    order.push(p);
  };
  [...infos.keys()].sort().forEach(visit);
  for (const p of order) {
    const n = infos.get(p) as Narinfo;
    const where = `${cache.where}/${n.url}`;
    const raw = await cache.stream(n.url);
    if (!raw) throw new EkaError("E_NOT_IN_CACHE", `the NAR of ${p} (${n.url}) is missing from ${cache.where}`);
    const info = { storePath: p, references: n.references, narHash: n.narHash, narSize: n.narSize, signatures: n.signatures, ...(n.deriver ? { deriver: n.deriver } : {}) };
    await importNar(store, decompress(raw, n.compression, where), info, { where });
  }
  return order;
}

/**
 * The tree a binary cache holds for `storePath`, parsed into memory with its NAR hash and size
 * checked against the narinfo; null if the cache has no narinfo for it. For repair, which takes
 * from it only bytes that hash to what the store recorded.
 */
export async function fetchFromCache(from: string, storePath: string): Promise<{ tree: MemoryTree; narHash: string; where: string } | null> {
  const cache = openCache(from);
  const p = parseStorePath(storePath).path;
  const name = `${parseStorePath(p).hashPart}.narinfo`;
  const text = await cache.text(name);
  if (text === null) return null;
  const n = parseNarinfo(text, `${cache.where}/${name}`);
  if (n.storePath !== p) throw new EkaError("E_BAD_NARINFO", `${cache.where}/${name} describes ${n.storePath}, not ${p}`);
  const where = `${cache.where}/${n.url}`;
  const raw = await cache.stream(n.url);
  if (!raw) throw new EkaError("E_NOT_IN_CACHE", `the NAR of ${p} (${n.url}) is missing from ${cache.where}`);
  const tree = new MemoryTree();
  const { narHash, narSize } = await narParse(decompress(raw, n.compression, where), tree, where);
  if (narHash !== n.narHash || narSize !== n.narSize) {
    throw new EkaError("E_HASH_MISMATCH", `${where}: NAR hash/size is ${narHash}/${narSize}, but its narinfo says ${n.narHash}/${n.narSize}; the cache is damaged`);
  }
  return { tree, narHash, where: cache.where };
}

interface CacheReader {
  where: string;
  text(rel: string): Promise<string | null>;
  stream(rel: string): Promise<ReadableStream<Uint8Array> | null>;
}

/** A cache directory, a file:// URL, or an http(s):// URL. */
function openCache(from: string): CacheReader {
  if (/^https?:\/\//.test(from)) {
    const base = from.replace(/\/+$/, "");
    const get = async (rel: string) => {
      let res: Response;
      try {
        res = await fetch(`${base}/${rel}`);
      } catch (e) {
        throw new EkaError("E_CACHE_UNREACHABLE", `cannot reach the binary cache ${base}: ${fetchFailureReason(e)}`);
      }
      if (res.status === 404 || res.status === 403) return null;
      if (!res.ok) throw new EkaError("E_CACHE_UNREACHABLE", `${base}/${rel}: HTTP ${res.status}`);
      return res;
    };
    return {
      where: base,
      text: async (rel) => (await get(rel))?.text() ?? null,
      stream: async (rel) => (await get(rel))?.body ?? null,
    };
  }
  const root = cacheDir(from);
  return {
    where: root,
    text: async (rel) => {
      try {
        return fs.readFileSync(path.join(root, rel), "utf8");
      } catch {
        return null;
      }
    },
    stream: async (rel) => {
      const file = path.join(root, rel);
      return fs.existsSync(file) ? (Readable.toWeb(fs.createReadStream(file)) as unknown as ReadableStream<Uint8Array>) : null;
    },
  };
}

function decompress(raw: ReadableStream<Uint8Array>, compression: string, where: string): AsyncIterable<Uint8Array> {
  if (compression === "none" || compression === "") return raw as unknown as AsyncIterable<Uint8Array>;
  if (compression === "xz") {
    // A CommonJS (UMD) module: its classes hang off the default export.
    const { XzReadableStream } = xz as unknown as typeof import("xz-decompress");
    return new XzReadableStream(raw) as unknown as AsyncIterable<Uint8Array>;
  }
  void raw.cancel();
  throw new EkaError("E_UNSUPPORTED_COMPRESSION", `${where} is compressed with ${compression}; eka reads 'none' and 'xz' (publish with 'nix copy --to "file://DIR?compression=xz"')`);
}

function cacheDir(dir: string): string {
  return dir.startsWith("file://") ? fileURLToPath(dir.replace(/\?.*$/, "")) : path.resolve(dir);
}

function atomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}
