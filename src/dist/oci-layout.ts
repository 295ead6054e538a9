/**
 * OCI images of store paths, as bytes (core: no `node:` import). Two flavours:
 *
 * - `image`: a regular OCI image whose layers hold a package's closure at /nix/store/…, one
 *   uncompressed tar layer per store path (references first), with the config's Entrypoint set.
 * - `wasm`: the WebAssembly artifact of the CNCF TAG Runtime wasm working group's layout: one
 *   layer holding the program's `.wasm` as `application/wasm`, the config
 *   `application/vnd.wasm.config.v0+json` with `architecture: "wasm"`, `os: "wasip1"` and
 *   `layerDigests`.
 *
 * Everything is deterministic: tar entries sorted by the UTF-8 bytes of their names, times
 * zero, owners zero and unnamed, modes as the store has them (0444/0555, directories 0555);
 * JSON written with a fixed key order; no creation time but the epoch. The same store path
 * gives the same manifest digest every time.
 */
import { EkaError } from "../errors.ts";
import { compareNames } from "../store/directory.ts";
import { sha256Chunks } from "../store/sha256.ts";
import { parseStorePath } from "../store/store-path.ts";
import type { Store } from "../store/store.ts";
import type { TreeReader } from "../store/types.ts";
import { topoSort } from "../store/transfer.ts";
import { toHex } from "../util/blake3.ts";

export const MEDIA = {
  layout: "1.0.0",
  index: "application/vnd.oci.image.index.v1+json",
  manifest: "application/vnd.oci.image.manifest.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layer: "application/vnd.oci.image.layer.v1.tar",
  wasmConfig: "application/vnd.wasm.config.v0+json",
  wasmLayer: "application/wasm",
  /** eka's binary cache in a registry: one manifest per store path. */
  narConfig: "application/vnd.eka.store-path.v1+json",
  nar: "application/vnd.eka.nar.v1",
} as const;

/** The annotation naming a manifest in an image layout's index.json. */
export const REF_NAME = "org.opencontainers.image.ref.name";
/** Creation time written into configs: the epoch, so the digest depends on contents only. */
export const EPOCH = "1970-01-01T00:00:00Z";

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/** Where blobs go as they are made (a layout directory, a registry upload queue, memory). */
export interface BlobSink {
  put(bytes: Uint8Array, mediaType: string): Descriptor;
}

export type Flavour = "image" | "wasm";

export interface ImageOptions {
  flavour: Flavour;
  /** The program inside the store path (`bin/hello.wasm`); default: its one `.wasm` under bin/ (or the path itself when it is a file). */
  program?: string;
  /** The image config's Entrypoint (flavour image); default: the program's absolute path. */
  entrypoint?: string[];
  /** The image config's os/architecture (flavour image); default linux/wasm: a Linux root file system whose program is WebAssembly (umoci and runc refuse any os but linux). */
  os?: string;
  architecture?: string;
}

export interface BuiltImage {
  /** The manifest's descriptor (its digest is the image digest). */
  manifest: Descriptor;
  manifestBytes: Uint8Array;
  /** The store paths whose layers the image holds (flavour image), references first. */
  paths: string[];
  /** The program inside the image, as an absolute /nix/store path. */
  program: string;
}

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${toHex(sha256Chunks([bytes]).digest)}`;
}

export function descriptorOf(bytes: Uint8Array, mediaType: string): Descriptor {
  return { mediaType, digest: sha256Digest(bytes), size: bytes.length };
}

const utf8 = new TextEncoder();

export function jsonBytes(value: unknown): Uint8Array {
  return utf8.encode(JSON.stringify(value));
}

/** The program of a store path: `program` if given, else its one `bin/*.wasm`, else its one `*.wasm` anywhere. */
export function findProgram(tree: TreeReader, storePath: string, program?: string): string {
  const root = tree.stat("");
  if (program !== undefined) {
    const rel = program.replace(/^\/+|\/+$/g, "");
    const st = tree.stat(rel);
    if (!st || st.kind !== "file") throw new EkaError("E_OCI_NO_PROGRAM", `${storePath} has no file ${rel}; name one of its files with --program`);
    return rel;
  }
  if (root?.kind === "file") return "";
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of tree.readdir(dir).sort(compareNames)) {
      const p = dir ? `${dir}/${name}` : name;
      const st = tree.stat(p);
      if (st?.kind === "directory") walk(p);
      else if (st?.kind === "file" && name.endsWith(".wasm")) found.push(p);
    }
  };
  if (root?.kind === "directory") walk("");
  const inBin = found.filter((p) => p.startsWith("bin/"));
  const pick = inBin.length ? inBin : found;
  if (pick.length === 1) return pick[0] as string;
  if (pick.length === 0) throw new EkaError("E_OCI_NO_PROGRAM", `${storePath} holds no .wasm program; an OCI image of it needs one (name a file with --program)`);
  throw new EkaError("E_OCI_NO_PROGRAM", `${storePath} holds several programs (${pick.join(", ")}); name one with --program`);
}

/**
 * Builds the image of `storePath` (which must be registered, with its closure), putting every
 * blob (layers, config, manifest last) into `sink`.
 */
export function buildImage(store: Store, storePath: string, sink: BlobSink, options: ImageOptions): BuiltImage {
  const p = parseStorePath(storePath).path;
  const tree = store.pathTree(p);
  const rel = findProgram(tree, p, options.program);
  const program = rel ? `${p}/${rel}` : p;
  const annotations = { "org.opencontainers.image.title": parseStorePath(p).name, "dev.eka.store-path": p };
  if (options.flavour === "wasm") {
    const wasm = tree.readFile(rel);
    const layer = sink.put(wasm, MEDIA.wasmLayer);
    const name = rel.split("/").pop() || parseStorePath(p).name;
    const config = sink.put(jsonBytes({ created: EPOCH, architecture: "wasm", os: "wasip1", layerDigests: [layer.digest] }), MEDIA.wasmConfig);
    const manifest = {
      schemaVersion: 2,
      mediaType: MEDIA.manifest,
      config,
      layers: [{ ...layer, annotations: { "org.opencontainers.image.title": name } }],
      annotations,
    };
    const manifestBytes = jsonBytes(manifest);
    return { manifest: sink.put(manifestBytes, MEDIA.manifest), manifestBytes, paths: [p], program };
  }
  const paths = topoSort(store, store.closure([p]));
  const layers: Descriptor[] = [];
  for (const q of paths) layers.push({ ...sink.put(storePathLayer(store.pathTree(q), q), MEDIA.layer), annotations: { "dev.eka.store-path": q } });
  const config = sink.put(
    jsonBytes({
      created: EPOCH,
      architecture: options.architecture ?? "wasm",
      os: options.os ?? "linux",
      config: { Entrypoint: options.entrypoint ?? [program], Env: ["PATH=/bin"], WorkingDir: "/", Labels: { "dev.eka.store-path": p } },
      rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) },
    }),
    MEDIA.config,
  );
  const manifestBytes = jsonBytes({ schemaVersion: 2, mediaType: MEDIA.manifest, config, layers, annotations });
  return { manifest: sink.put(manifestBytes, MEDIA.manifest), manifestBytes, paths, program };
}

/** An image layout's index.json listing `images` under their tags (sorted by tag). */
export function indexJson(images: { tag: string; manifest: Descriptor }[]): Uint8Array {
  const manifests = [...images]
    .sort((a, b) => compareNames(a.tag, b.tag))
    .map(({ tag, manifest }) => ({ mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size, annotations: { ...(manifest.annotations ?? {}), [REF_NAME]: tag } }));
  return jsonBytes({ schemaVersion: 2, mediaType: MEDIA.index, manifests });
}

export const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

export function checkTag(tag: string, where: string): string {
  if (!TAG_RE.test(tag)) throw new EkaError("E_OCI_REF", `${where}: tag '${tag}' is not a valid OCI tag (letters, digits, '_', '.', '-'; at most 128; not starting with '.' or '-')`);
  return tag;
}

// ---- deterministic tar ----

/** One uncompressed tar layer: `nix/`, `nix/store/`, then the store path's tree at nix/store/<basename>. */
export function storePathLayer(tree: TreeReader, storePath: string): Uint8Array {
  const w = new TarWriter();
  w.dir("nix/");
  w.dir("nix/store/");
  const walk = (rel: string, name: string) => {
    const st = tree.stat(rel);
    if (!st) throw new EkaError("E_OCI_LAYOUT", `${storePath}: '${rel}' vanished while its layer was written`);
    if (st.kind === "directory") {
      w.dir(`${name}/`);
      for (const child of tree.readdir(rel).sort(compareNames)) walk(rel ? `${rel}/${child}` : child, `${name}/${child}`);
    } else if (st.kind === "symlink") w.symlink(name, tree.readlink(rel));
    else w.file(name, tree.readFile(rel), st.executable);
  };
  walk("", `nix/store/${parseStorePath(storePath).basename}`);
  return w.finish();
}

/** ustar with PAX records for names that do not fit; every time and owner zero. */
export class TarWriter {
  private readonly parts: Uint8Array[] = [];

  dir(name: string): void {
    this.entry(name, "5", 0o555, new Uint8Array(0));
  }

  file(name: string, data: Uint8Array, executable: boolean): void {
    this.entry(name, "0", executable ? 0o555 : 0o444, data);
  }

  symlink(name: string, target: string): void {
    this.entry(name, "2", 0o777, new Uint8Array(0), target);
  }

  finish(): Uint8Array {
    this.parts.push(new Uint8Array(1024));
    let n = 0;
    for (const p of this.parts) n += p.length;
    const out = new Uint8Array(n);
    let off = 0;
    for (const p of this.parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }

  private entry(name: string, type: string, mode: number, data: Uint8Array, link = ""): void {
    const nameBytes = utf8.encode(name);
    const linkBytes = utf8.encode(link);
    const ascii = (b: Uint8Array) => b.every((c) => c < 0x80);
    const pax: string[] = [];
    if (nameBytes.length > 100 || !ascii(nameBytes)) pax.push(paxRecord("path", name));
    if (linkBytes.length > 100 || !ascii(linkBytes)) pax.push(paxRecord("linkpath", link));
    if (pax.length) {
      const body = utf8.encode(pax.join(""));
      this.parts.push(header("././@PaxHeader", "x", 0o644, body.length, ""));
      this.parts.push(padded(body));
    }
    const short = (s: string, bytes: Uint8Array) => (bytes.length > 100 || !ascii(bytes) ? placeholder(bytes) : s);
    this.parts.push(header(short(name, nameBytes), type, mode, data.length, short(link, linkBytes)));
    if (data.length) this.parts.push(padded(data));
  }
}

/** The ustar name field for a name carried by PAX: its ASCII bytes, cut to 100. */
function placeholder(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes.subarray(0, 100)) s += b < 0x80 ? String.fromCharCode(b) : "_";
  return s;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLen = utf8.encode(body).length;
  let len = bodyLen + 1;
  while (String(len).length + bodyLen !== len) len = String(len).length + bodyLen;
  return `${len}${body}`;
}

function padded(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(data.length / 512) * 512);
  out.set(data);
  return out;
}

function header(name: string, type: string, mode: number, size: number, link: string): Uint8Array {
  const h = new Uint8Array(512);
  const put = (off: number, len: number, s: string) => h.set(utf8.encode(s).subarray(0, len), off);
  const octal = (off: number, len: number, n: number) => put(off, len, n.toString(8).padStart(len - 1, "0") + "\0");
  put(0, 100, name);
  octal(100, 8, mode);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, 0);
  put(148, 8, "        ");
  put(156, 1, type);
  put(157, 100, link);
  put(257, 6, "ustar\0");
  put(263, 2, "00");
  octal(329, 8, 0);
  octal(337, 8, 0);
  let sum = 0;
  for (const b of h) sum += b;
  put(148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  return h;
}
