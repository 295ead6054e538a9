/**
 * Moving store paths in and out as NARs: import one NAR as a store path, and the export format
 * for whole closures:
 *
 *   "eka-export-1\n"
 *   per path, references before referrers:
 *     u64 LE byte length, JSON path info (storePath, references, narHash, narSize, pid,
 *       signatures, registrationTime, deriver?)
 *     the NAR (exactly narSize bytes)
 *   u64 0
 *
 * Nothing reaches the store until a NAR has parsed completely and its hash matches.
 */
import { EkaError } from "../errors.ts";
import { ChunkReader } from "./chunk-reader.ts";
import { isDigest, type Digest } from "./digest.ts";
import { MemoryTree } from "./memory-tree.ts";
import { narParse } from "./nar.ts";
import { checkSigned } from "./narinfo.ts";
import { parseStorePath } from "./store-path.ts";
import type { Store } from "./store.ts";
import type { PathInfo } from "./types.ts";

const MAGIC = new TextEncoder().encode("eka-export-1\n");

export interface ImportOptions {
  /** If given, every imported path must carry a valid signature by one of these keys. */
  trustedKeys?: string[];
  /** Where the input came from, for error messages. */
  where?: string;
}

/** What is known about a NAR before it is imported. */
export interface NarImportInfo {
  storePath: string;
  references?: string[];
  narHash?: string;
  narSize?: number;
  pid?: Digest | null;
  signatures?: string[];
  registrationTime?: number;
  deriver?: string;
}

/**
 * Parses a NAR fully into memory, checks hash, size and signatures, then adds and registers it.
 * A bad NAR leaves the store untouched.
 */
export async function importNar(store: Store, nar: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, info: NarImportInfo, options: ImportOptions = {}): Promise<PathInfo> {
  parseStorePath(info.storePath);
  const where = options.where ?? `NAR of ${info.storePath}`;
  const tree = new MemoryTree();
  const { narHash, narSize } = await narParse(nar, tree, where);
  if (info.narHash !== undefined && info.narHash !== narHash) {
    throw new EkaError("E_HASH_MISMATCH", `${where}: NAR hash is ${narHash}, but ${info.narHash} was expected (the NAR was altered or belongs to another path); nothing was added`);
  }
  if (info.narSize !== undefined && info.narSize !== narSize) {
    throw new EkaError("E_HASH_MISMATCH", `${where}: NAR is ${narSize} bytes, but ${info.narSize} were expected; nothing was added`);
  }
  const full = { storePath: info.storePath, narHash, narSize, references: info.references ?? [], signatures: info.signatures ?? [] };
  if (options.trustedKeys) checkSigned(full, options.trustedKeys);
  return store.ingest(tree, "", {
    storePath: info.storePath,
    references: full.references,
    narHash,
    narSize,
    pid: info.pid ?? null,
    signatures: full.signatures,
    ...(info.registrationTime !== undefined ? { registrationTime: info.registrationTime } : {}),
    ...(info.deriver ? { deriver: info.deriver } : {}),
  });
}

/** The export stream of `storePaths` and their closure. */
export function* exportPaths(store: Store, storePaths: string[]): Generator<Uint8Array> {
  yield MAGIC;
  for (const p of topoSort(store, store.closure(storePaths))) {
    const info = store.queryPathInfo(p) as PathInfo;
    const { cid: _cid, ...rest } = info;
    const json = new TextEncoder().encode(JSON.stringify(rest));
    yield u64(json.length);
    yield json;
    yield* store.dump(p);
  }
  yield u64(0);
}

/** Imports an export stream; returns the paths it holds (already-present ones are checked too). */
export async function importPaths(store: Store, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: ImportOptions = {}): Promise<string[]> {
  const where = options.where ?? "export stream";
  const r = new ExportReader(source, where);
  const magic = await r.exact(MAGIC.length);
  if (!MAGIC.every((b, i) => magic[i] === b)) r.fail("it does not start with 'eka-export-1' (not made by 'eka store export')");
  const imported: string[] = [];
  for (;;) {
    const len = await r.u64();
    if (len === 0) break;
    if (len > 1 << 24) r.fail(`a path info record of ${len} bytes is too large`);
    let meta: Record<string, unknown>;
    try {
      meta = JSON.parse(new TextDecoder().decode(await r.exact(len))) as Record<string, unknown>;
    } catch {
      return r.fail("a path info record is not JSON");
    }
    const storePath = String(meta.storePath);
    const narSize = Number(meta.narSize);
    if (!Number.isSafeInteger(narSize) || narSize < 0) r.fail(`path info of ${storePath} has no valid narSize`);
    const info: NarImportInfo = {
      storePath,
      references: Array.isArray(meta.references) ? meta.references.map(String) : [],
      narHash: String(meta.narHash),
      narSize,
      pid: isDigest(meta.pid) ? meta.pid : null,
      signatures: Array.isArray(meta.signatures) ? meta.signatures.map(String) : [],
      ...(typeof meta.registrationTime === "number" ? { registrationTime: meta.registrationTime } : {}),
      ...(typeof meta.deriver === "string" ? { deriver: meta.deriver } : {}),
    };
    await importNar(store, r.take(narSize), info, { ...options, where: `${where}: NAR of ${storePath}` });
    imported.push(storePath);
  }
  if (!(await r.atEnd())) r.fail("there is data after the end marker");
  return imported;
}

/** References before referrers (self-references ignored). */
export function topoSort(store: Store, paths: string[]): string[] {
  const set = new Set(paths);
  const out: string[] = [];
  const state = new Map<string, 1 | 2>();
  const visit = (p: string) => {
    if (state.get(p) === 2) return;
    if (state.get(p) === 1) throw new EkaError("E_REFERENCE_CYCLE", `store paths refer to each other in a cycle through ${p}`);
    state.set(p, 1);
    for (const r of store.queryPathInfo(p)?.references ?? []) if (r !== p && set.has(r)) visit(r);
    state.set(p, 2);
    out.push(p);
  };
  for (const p of [...paths].sort()) visit(p);
  return out;
}

function u64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
}

/** The export stream's reader: its errors say nothing more was imported. */
class ExportReader extends ChunkReader {
  constructor(
    source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    private readonly where: string,
  ) {
    super(source);
  }

  fail(why: string): never {
    throw new EkaError("E_BAD_EXPORT", `${this.where} is not valid: ${why}; nothing more was imported`);
  }
}
