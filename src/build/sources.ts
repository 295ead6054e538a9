// Fixed-output sources: fetched, checked against their expected hash, unpacked. A mismatch throws
// E_HASH_MISMATCH naming both hashes, before anything is stored or mounted.
import { EkaError } from "../errors.ts";
import { parseHash } from "../ir/hash.ts";
import type { SourceSpec } from "../ir/types.ts";
import { archiveFormatOf, unpackArchive } from "./archive.ts";
import { bytesHash, narHash, newTree, treePut, type Tree } from "./tree.ts";

/** What fetching needs from the host; Node's is in sources.node.ts. */
export interface SourceHost {
  /** A local file's bytes or a directory's tree; `path` as written in the spec. */
  readPath(path: string): Promise<Uint8Array | Tree>;
  /** The tree of `url` at commit `rev`, without `.git`. */
  gitCheckout?(url: string, rev: string): Promise<Tree>;
  fetch?: typeof fetch;
}

/** Fetches, verifies and unpacks one source; `name` is its key in the IR. */
export async function fetchSource(name: string, spec: SourceSpec, host: SourceHost): Promise<Tree> {
  const where = `source '${name}'`;
  const want = parseHash(spec.hash, where);
  if (spec.kind === "git") {
    if (!host.gitCheckout) throw new EkaError("E_SOURCE", `${where}: git sources need a host with git (Node); this one has none`);
    const tree = await host.gitCheckout(spec.url, spec.rev);
    check(where, spec.hash, `${want.algo}:${narHash(tree, want.algo)}`, `${spec.url} at ${spec.rev}`);
    return tree;
  }
  let data: Uint8Array | Tree;
  let label: string;
  if (spec.kind === "url") {
    label = spec.url;
    const f = host.fetch ?? globalThis.fetch;
    let res: Response;
    try {
      res = await f(spec.url);
    } catch (e) {
      throw new EkaError("E_FETCH", `${where}: cannot fetch ${spec.url}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!res.ok) throw new EkaError("E_FETCH", `${where}: ${spec.url} answered HTTP ${res.status} ${res.statusText}`);
    data = new Uint8Array(await res.arrayBuffer());
  } else {
    label = spec.path;
    data = await host.readPath(spec.path);
  }
  if (!(data instanceof Uint8Array)) {
    check(where, spec.hash, `${want.algo}:${narHash(data, want.algo)}`, label);
    return data;
  }
  check(where, spec.hash, `${want.algo}:${bytesHash(data, want.algo)}`, label);
  const base = label.split(/[/?#]/).filter(Boolean).pop() ?? name;
  const format = spec.unpack === false ? undefined : typeof spec.unpack === "string" ? spec.unpack : archiveFormatOf(base);
  if (spec.unpack === true && !format) throw new EkaError("E_SOURCE", `${where}: cannot tell the archive type of '${base}'; set unpack = "tar.gz" (or tar, tar.xz, zip)`);
  if (format) return unpackArchive(data, format, `${where} (${label})`);
  const tree = newTree();
  treePut(tree, base, { type: "file", data, executable: false });
  return tree;
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
