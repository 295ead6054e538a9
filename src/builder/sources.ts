// Fixed-output sources: fetched, checked against their expected hash, unpacked. A mismatch throws
// E_HASH_MISMATCH naming both hashes, before anything is stored or mounted.
import { EkaError } from "../errors.ts";
import { parseHash } from "../ir/hash.ts";
import type { SourceSpec } from "../ir/types.ts";
import { contentHash, narHash } from "../store/hash.ts";
import { MemoryTree } from "../store/memory-tree.ts";
import { contentStorePath } from "../store/source.ts";
import { sanitizeName } from "../store/store-path.ts";
import type { Store } from "../store/store.ts";
import type { TreeReader } from "../store/types.ts";
import { fetchFailureReason } from "../util/io-errors.ts";
import type { WorkDir } from "./sandbox.ts";
import { archiveFormatOf, unpackArchive } from "./archive.ts";

/**
 * What fetching needs from the host; Node's is in sources.node.ts. A tree it gives is read once
 * (a snapshot, such as a MemoryTree): it is hashed and then copied, and must not change between.
 */
export interface SourceHost {
  /** A local file's bytes or a directory's tree; `path` as written in the spec. */
  readPath(path: string): Promise<Uint8Array | TreeReader>;
  /**
   * Copies the directory a path source names into `dst` at `to` without holding its files whole,
   * returning false (and copying nothing) when it cannot: a file, or a `dst` it cannot write to.
   */
  copyPath?(path: string, dst: WorkDir, to: string): boolean;
  /** The tree of `url` at commit `rev`, without `.git`. */
  gitCheckout?(url: string, rev: string): Promise<TreeReader>;
  fetch?: typeof fetch;
  /**
   * Content-addressed mirrors, tried in order before a url source's url: each is asked for the
   * file `<algo>/<hex>` of the source's expected hash and any bytes that hash to it are accepted.
   */
  mirrors?: readonly Mirror[];
  /** How long a url (or http mirror) may take to answer before it counts as down. Default 30 s. */
  fetchTimeoutMs?: number;
}

/** One mirror: a directory (read by the host) or an http(s) base URL. */
export interface Mirror {
  /** As the user wrote it, for messages. */
  readonly name: string;
  /** The file at `rel` (`sha256/<hex>`), or null when the mirror lacks it. */
  get(rel: string): Promise<Uint8Array | null>;
}

/** A mirror at an http(s) base URL: `<base>/<algo>/<hex>`; 404 is "lacks it". */
export function httpMirror(base: string, fetchFn: typeof fetch = globalThis.fetch, timeoutMs = DEFAULT_FETCH_TIMEOUT_MS): Mirror {
  const root = base.replace(/\/+$/, "");
  return {
    name: base,
    async get(rel) {
      const res = await fetchFn(`${root}/${rel}`, { signal: AbortSignal.timeout(timeoutMs) });
      if (res.status === 404 || res.status === 410) return null;
      if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
      return new Uint8Array(await res.arrayBuffer());
    },
  };
}

const DEFAULT_FETCH_TIMEOUT_MS = 30_000;

/** Fetches, verifies and unpacks one source; `name` is its key in the IR. */
export async function fetchSource(name: string, spec: SourceSpec, host: SourceHost): Promise<TreeReader> {
  const where = `source '${name}'`;
  const want = parseHash(spec.hash, where);
  if (spec.kind === "git") {
    if (!host.gitCheckout) throw new EkaError("E_SOURCE", `${where}: git sources need a host with git (Node); this one has none`);
    const tree = await host.gitCheckout(spec.url, spec.rev);
    check(where, spec.hash, contentHash(tree, want.algo), `${spec.url} at ${spec.rev}`);
    return tree;
  }
  let data: Uint8Array | TreeReader;
  let label: string;
  if (spec.kind === "url") {
    label = spec.url;
    data = await download(where, spec.url, want, host);
  } else {
    label = spec.path;
    data = await host.readPath(spec.path);
  }
  check(where, spec.hash, contentHash(data, want.algo), label);
  if (!(data instanceof Uint8Array)) return data;
  const base = label.split(/[/?#]/).filter(Boolean).pop() ?? name;
  const format = spec.unpack === false ? undefined : typeof spec.unpack === "string" ? spec.unpack : archiveFormatOf(base);
  if (spec.unpack === true && !format) throw new EkaError("E_SOURCE", `${where}: cannot tell the archive type of '${base}'; set unpack = "tar.gz" (or tar, tar.xz, tar.bz2, zip)`);
  if (format) return unpackArchive(data, format, `${where} (${label})`);
  const tree = new MemoryTree();
  tree.put(base, { kind: "file", data, executable: false });
  return tree;
}

/**
 * The bytes of a url source: from the first mirror holding a file with the expected hash, else
 * from the url. A mirror's file that does not match is skipped (mirrors are untrusted; the hash is
 * the identity), and a failure names the hash, the url and the mirrors tried.
 */
async function download(where: string, url: string, want: ReturnType<typeof parseHash>, host: SourceHost): Promise<Uint8Array> {
  const hash = `${want.algo}:${want.hex}`;
  const rel = `${want.algo}/${want.hex}`;
  const tried: string[] = [];
  for (const m of host.mirrors ?? []) {
    let bytes: Uint8Array | null;
    try {
      bytes = await m.get(rel);
    } catch (e) {
      tried.push(`${m.name}: ${fetchFailureReason(e)}`);
      continue;
    }
    if (!bytes) tried.push(`${m.name}: no ${rel}`);
    else if (contentHash(bytes, want.algo) === hash) return bytes;
    else tried.push(`${m.name}: ${rel} has other content (${contentHash(bytes, want.algo)})`);
  }
  const f = host.fetch ?? globalThis.fetch;
  const fail = (reason: string) => {
    const mirrors = tried.length ? `\n  mirrors tried:\n${tried.map((t) => `    ${t}`).join("\n")}` : "\n  no mirror is set";
    return new EkaError(
      "E_FETCH",
      `${where}: cannot get ${hash}\n  url ${url}: ${reason}${mirrors}\n` +
        `Put the file in a mirror (eka mirror add FILE) and list the mirror in EKA_MIRRORS (or --mirror DIR|URL), or check the url in atom.toml and the network.`,
      { hash, url },
    );
  };
  let res: Response;
  try {
    res = await f(url, { signal: AbortSignal.timeout(host.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS) });
  } catch (e) {
    throw fail(fetchFailureReason(e));
  }
  if (!res.ok) throw fail(`HTTP ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * A path source copied by the host straight into `dst` at `to`, then verified there: the copy is
 * what the build sees, so it is the copy that is hashed (in chunks, so a file of any size costs one
 * chunk of memory), and a copy that does not match is removed. False when the host cannot copy it
 * (a file source, a memory sandbox): fetchSource then reads it into memory.
 */
export function copyPathSource(name: string, spec: Extract<SourceSpec, { kind: "path" }>, host: SourceHost, dst: WorkDir, to: string): boolean {
  const where = `source '${name}'`;
  const want = parseHash(spec.hash, where);
  if (!host.copyPath?.(spec.path, dst, to)) return false;
  const actual = `${want.algo}:${narHash(dst.reader(), want.algo, to)}`;
  if (actual !== spec.hash) dst.remove(to);
  check(where, spec.hash, actual, spec.path);
  return true;
}

function check(where: string, expected: string, actual: string, what: string): void {
  if (expected !== actual) {
    throw new EkaError(
      "E_HASH_MISMATCH",
      `${where}: hash mismatch for ${what}\n  expected: ${expected}\n  actual:   ${actual}\nIf the new content is trusted, put the actual hash in the package.`,
      { expected, actual },
    );
  }
}

/**
 * The store path a verified url or git source is kept at: from its expected hash (and unpack
 * mode), so the same content is fetched once whatever package names it.
 */
export function sourceStorePath(spec: SourceSpec): string | null {
  if (spec.kind === "path") return null;
  const key = spec.kind === "git" ? `git:${spec.hash}` : `url:${spec.hash}:${String(spec.unpack ?? "auto")}`;
  return contentStorePath(key, sanitizeName(`source-${spec.url.split(/[/?#]/).filter(Boolean).pop() ?? "source"}`));
}

/**
 * A source as a tree to copy into the sandbox: url and git sources come from the store when an
 * earlier build fetched them (nothing is fetched again), else they are fetched, verified and then
 * stored; local paths are read and verified every time, so an edit without a new hash is caught.
 */
export async function loadSource(store: Store, name: string, spec: SourceSpec, host: SourceHost): Promise<{ reader: TreeReader; root: string }> {
  const sp = sourceStorePath(spec);
  const stored = sp ? store.queryPathInfo(sp) : null;
  if (stored) return { reader: store.tree(stored.cid), root: "" };
  const tree = await fetchSource(name, spec, host);
  if (sp) store.ingest(tree, "", { storePath: sp, references: [] });
  return { reader: tree, root: "" };
}
