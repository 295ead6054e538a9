/**
 * OCI on Node: image layouts on disk (`oci-layout`, `index.json`, `blobs/sha256/…`, as skopeo's
 * and umoci's `oci:DIR:TAG` read them), pushing and pulling images through a registry, `ociGet`
 * (what `eka get --oci` runs), and a registry as eka's binary cache:
 *
 * - `pushToOciCache` stores each path of a closure as one manifest tagged with the path's hash
 *   part: its NAR as the one layer (`application/vnd.eka.nar.v1`), its narinfo as the config
 *   blob, and the path info (store path, NAR hash and size, references, signatures, deriver) in
 *   the manifest's annotations. Blobs go first, the manifest last, so a failed push leaves no tag
 *   pointing at missing data.
 * - `substituteFromOci` reads the manifests of the closure, checks signatures by the trusted keys,
 *   fetches every NAR (each checked against its digest, which must be the NAR hash) and only then
 *   adds the paths, references first.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { EkaError } from "../errors.ts";
import { checkSigned, formatNarinfo, signPathInfo } from "../store/narinfo.ts";
import { nixbase32Decode } from "../store/nixbase32.ts";
import { parseStoreBasename, parseStorePath, STORE_DIR } from "../store/store-path.ts";
import type { Store } from "../store/store.ts";
import { importNar, topoSort } from "../store/transfer.ts";
import { toHex } from "../util/blake3.ts";
import { buildImage, checkTag, descriptorOf, indexJson, jsonBytes, MEDIA, REF_NAME, sha256Digest, type BlobSink, type BuiltImage, type Descriptor, type Flavour, type ImageOptions } from "./oci-layout.ts";
import { parseOciRef, Registry, type RegistryOptions } from "./registry.node.ts";

export { MEDIA, buildImage, type Descriptor, type Flavour } from "./oci-layout.ts";
export { Registry, parseOciRef } from "./registry.node.ts";

// ---- image layouts on disk ----

/** Blobs written into a layout directory (temp name, then rename; an existing blob is kept). */
export class LayoutSink implements BlobSink {
  constructor(readonly dir: string) {
    fs.mkdirSync(path.join(dir, "blobs", "sha256"), { recursive: true });
    const marker = path.join(dir, "oci-layout");
    if (!fs.existsSync(marker)) atomicWrite(marker, jsonBytes({ imageLayoutVersion: MEDIA.layout }));
  }

  put(bytes: Uint8Array, mediaType: string): Descriptor {
    const d = descriptorOf(bytes, mediaType);
    const file = blobFile(this.dir, d.digest);
    if (!fs.existsSync(file) || fs.statSync(file).size !== bytes.length) atomicWrite(file, bytes);
    return d;
  }
}

/** Blobs kept in memory, for pushing an image without a layout. */
export class MemorySink implements BlobSink {
  readonly blobs = new Map<string, Uint8Array>();
  put(bytes: Uint8Array, mediaType: string): Descriptor {
    const d = descriptorOf(bytes, mediaType);
    this.blobs.set(d.digest, bytes);
    return d;
  }
}

export interface LayoutEntry {
  tag: string;
  manifest: Descriptor;
}

/** The tagged manifests of a layout's index.json; E_OCI_LAYOUT when the layout is not whole. */
export function readLayout(dir: string): LayoutEntry[] {
  const where = path.resolve(dir);
  let marker: unknown;
  try {
    marker = JSON.parse(fs.readFileSync(path.join(dir, "oci-layout"), "utf8"));
  } catch {
    throw new EkaError("E_OCI_LAYOUT", `${where} is not an OCI image layout: its oci-layout file is missing or not JSON`);
  }
  if ((marker as { imageLayoutVersion?: unknown }).imageLayoutVersion !== MEDIA.layout) {
    throw new EkaError("E_OCI_LAYOUT", `${where}/oci-layout: imageLayoutVersion must be "${MEDIA.layout}"`);
  }
  let index: { manifests?: unknown };
  try {
    index = JSON.parse(fs.readFileSync(path.join(dir, "index.json"), "utf8")) as { manifests?: unknown };
  } catch {
    throw new EkaError("E_OCI_LAYOUT", `${where}/index.json is missing or not JSON (the layout is truncated); write it again`);
  }
  if (!Array.isArray(index.manifests)) throw new EkaError("E_OCI_LAYOUT", `${where}/index.json has no manifests list`);
  return index.manifests.map((m: unknown, i: number) => {
    const d = checkDescriptor(m, `${where}/index.json: manifests[${i}]`);
    return { tag: d.annotations?.[REF_NAME] ?? "", manifest: d };
  });
}

/** A layout blob's bytes, checked against its descriptor's size and digest. */
export function layoutBlob(dir: string, d: Descriptor): Uint8Array {
  const file = blobFile(dir, d.digest);
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    throw new EkaError("E_OCI_LAYOUT", `${path.resolve(dir)}: blob ${d.digest} is missing (${file}); the layout is incomplete, write it again`);
  }
  if (bytes.length !== d.size) {
    throw new EkaError("E_OCI_LAYOUT", `${file} is ${bytes.length} bytes but its descriptor says ${d.size}; the layout is truncated or damaged, write it again`);
  }
  const got = sha256Digest(bytes);
  if (got !== d.digest) throw new EkaError("E_OCI_DIGEST", `${file} hashes to ${got}, not ${d.digest}; the layout is damaged, write it again`);
  return bytes;
}

/** The manifest tagged `tag` (or the layout's only one). */
export function layoutManifest(dir: string, tag?: string): LayoutEntry {
  const entries = readLayout(dir);
  const hit = tag === undefined ? (entries.length === 1 ? entries[0] : undefined) : entries.find((e) => e.tag === tag);
  if (!hit) {
    const tags = entries.map((e) => e.tag || "(untagged)").join(", ") || "none";
    throw new EkaError("E_OCI_LAYOUT", `${path.resolve(dir)} has ${tag === undefined ? "several images; name one with :TAG" : `no image tagged '${tag}'`} (tags: ${tags})`);
  }
  return hit;
}

/** Adds (or replaces) `tag` in the layout's index.json. */
export function tagInLayout(dir: string, tag: string, manifest: Descriptor): void {
  checkTag(tag, path.resolve(dir));
  const others = fs.existsSync(path.join(dir, "index.json")) ? readLayout(dir).filter((e) => e.tag !== tag && e.tag !== "") : [];
  const { annotations: _a, ...plain } = manifest;
  atomicWrite(path.join(dir, "index.json"), indexJson([...others, { tag, manifest: plain }]));
}

/** The descriptors a manifest or index refers to (config and layers, or child manifests). */
export function childrenOf(bytes: Uint8Array, where: string): Descriptor[] {
  let m: { config?: unknown; layers?: unknown; manifests?: unknown };
  try {
    m = JSON.parse(new TextDecoder().decode(bytes)) as typeof m;
  } catch {
    throw new EkaError("E_OCI_LAYOUT", `${where}: the manifest is not JSON`);
  }
  const out: Descriptor[] = [];
  if (m.config !== undefined) out.push(checkDescriptor(m.config, `${where}: config`));
  if (Array.isArray(m.layers)) m.layers.forEach((l, i) => out.push(checkDescriptor(l, `${where}: layers[${i}]`)));
  if (Array.isArray(m.manifests)) m.manifests.forEach((l, i) => out.push(checkDescriptor(l, `${where}: manifests[${i}]`)));
  return out;
}

// ---- registries ----

/** Pushes the layout's image `tag` (every blob it needs, then the manifest) to `address` (`oci://HOST/REPO[:TAG]`). */
export async function pushLayout(dir: string, tag: string | undefined, address: string, options: RegistryOptions = {}): Promise<{ digest: string; reference: string }> {
  const reg = new Registry(address, options);
  const entry = layoutManifest(dir, tag);
  const reference = reg.ref.reference ?? (entry.tag || entry.manifest.digest);
  const bytes = layoutBlob(dir, entry.manifest);
  // The whole layout is checked before the registry is asked anything.
  const check = (m: Uint8Array, where: string): void => {
    for (const d of childrenOf(m, where)) {
      const b = layoutBlob(dir, d);
      if (d.mediaType === MEDIA.manifest || d.mediaType === MEDIA.index) check(b, `${where}@${d.digest}`);
    }
  };
  check(bytes, path.resolve(dir));
  await pushTree(reg, bytes, entry.manifest.mediaType, (d) => layoutBlob(dir, d), `${path.resolve(dir)}`);
  const digest = await reg.putManifest(reference, bytes, entry.manifest.mediaType);
  return { digest, reference };
}

/** Pulls `address` (`oci://HOST/REPO:TAG|@DIGEST`) into the layout `dir` under `tag` (default: the address's tag, else "latest"). */
export async function pullImage(address: string, dir: string, tag?: string, options: RegistryOptions = {}): Promise<{ digest: string; tag: string }> {
  const reg = new Registry(address, options);
  const reference = reg.ref.reference ?? "latest";
  const m = await reg.getManifest(reference);
  if (!m) throw new EkaError("E_NOT_IN_CACHE", `${reg.where} has no manifest '${reference}'`);
  // Everything is fetched and checked before the layout names it.
  const sink = new LayoutSink(dir);
  const fetchTree = async (bytes: Uint8Array, where: string) => {
    for (const d of childrenOf(bytes, where)) {
      const blob = await reg.getBlob(d.digest, d.size);
      if (!blob) throw new EkaError("E_NOT_IN_CACHE", `${reg.where}: blob ${d.digest} (${d.mediaType}) is missing`);
      sink.put(blob, d.mediaType);
      if (d.mediaType === MEDIA.manifest || d.mediaType === MEDIA.index) await fetchTree(blob, `${reg.where}@${d.digest}`);
    }
  };
  await fetchTree(m.bytes, `${reg.where}:${reference}`);
  const manifest = sink.put(m.bytes, m.mediaType);
  const t = tag ?? (reference.startsWith("sha256:") ? "latest" : reference);
  tagInLayout(dir, t, manifest);
  return { digest: manifest.digest, tag: t };
}

async function pushTree(reg: Registry, manifest: Uint8Array, mediaType: string, blob: (d: Descriptor) => Uint8Array, where: string): Promise<void> {
  for (const d of childrenOf(manifest, where)) {
    const bytes = blob(d);
    if (d.mediaType === MEDIA.manifest || d.mediaType === MEDIA.index) {
      await pushTree(reg, bytes, d.mediaType, blob, `${where}@${d.digest}`);
      await reg.putManifest(d.digest, bytes, d.mediaType);
    } else await reg.putBlob(bytes, d.digest);
  }
  void mediaType;
}

// ---- eka get --oci ----

export interface OciGetOptions extends Partial<ImageOptions> {
  store: Store;
  /** The package's store path (what `eka build --json` prints as storePath); its closure must be in `store`. */
  storePath: string;
  /** Write (or add to) the image layout in this directory. */
  out?: string;
  /** Push to `oci://HOST[:PORT]/REPO[:TAG]`. */
  push?: string;
  /** The tag (default: the push address's tag, else "latest"). */
  tag?: string;
  registry?: RegistryOptions;
}

export interface OciGetResult {
  /** The image digest (of its manifest): the same for the same store path, every time. */
  digest: string;
  tag: string;
  flavour: Flavour;
  /** The layout written, if `out`. */
  layout?: string;
  /** The address pushed to, with the digest (`oci://HOST/REPO@sha256:…`), if `push`. */
  pushed?: string;
  /** The store paths in the image, references first. */
  paths: string[];
  /** The program the image runs (absolute store path). */
  program: string;
}

/**
 * An OCI image of a built package: `flavour: "image"` (the closure at /nix/store, Entrypoint the
 * program) or `"wasm"` (the program's .wasm as the CNCF wasm artifact), written as a layout to
 * `out` and/or pushed to `push`.
 */
export async function ociGet(opts: OciGetOptions): Promise<OciGetResult> {
  if (opts.out === undefined && opts.push === undefined) throw new EkaError("E_OCI_REF", "an OCI image needs somewhere to go: -o DIR (an image layout) or --push oci://HOST[:PORT]/REPO:TAG");
  const ref = opts.push !== undefined ? parseOciRef(opts.push) : undefined;
  if (ref?.reference?.startsWith("sha256:")) throw new EkaError("E_OCI_REF", `${opts.push}: push to a tag (oci://HOST/REPO:TAG), not a digest`);
  const tag = checkTag(opts.tag ?? ref?.reference ?? "latest", opts.push ?? opts.out ?? "the image");
  const flavour = opts.flavour ?? "image";
  if (!opts.store.has(opts.storePath)) throw new EkaError("E_NOT_IN_STORE", `${opts.storePath} is not in the store ${opts.store.address}; build it first`);
  const imageOpts: ImageOptions = { flavour, ...(opts.program !== undefined ? { program: opts.program } : {}), ...(opts.entrypoint ? { entrypoint: opts.entrypoint } : {}), ...(opts.os ? { os: opts.os } : {}), ...(opts.architecture ? { architecture: opts.architecture } : {}) };
  let image: BuiltImage;
  const result = (): OciGetResult => ({ digest: image.manifest.digest, tag, flavour, paths: image.paths, program: image.program });
  if (opts.out !== undefined) {
    image = buildImage(opts.store, opts.storePath, new LayoutSink(opts.out), imageOpts);
    tagInLayout(opts.out, tag, image.manifest);
    const r: OciGetResult = { ...result(), layout: path.resolve(opts.out) };
    if (ref) {
      await pushLayout(opts.out, tag, `${stripReference(opts.push as string)}:${tag}`, opts.registry);
      r.pushed = `${stripReference(opts.push as string)}@${image.manifest.digest}`;
    }
    return r;
  }
  const sink = new MemorySink();
  image = buildImage(opts.store, opts.storePath, sink, imageOpts);
  const reg = new Registry(ref as NonNullable<typeof ref>, opts.registry);
  await pushTree(reg, image.manifestBytes, MEDIA.manifest, (d) => sink.blobs.get(d.digest) as Uint8Array, opts.storePath);
  await reg.putManifest(tag, image.manifestBytes);
  return { ...result(), pushed: `${stripReference(opts.push as string)}@${image.manifest.digest}` };
}

function stripReference(address: string): string {
  const r = parseOciRef(address);
  return address.slice(0, address.length - (r.reference ? r.reference.length + 1 : 0));
}

// ---- a registry as a binary cache ----

export const ANNOTATION = {
  storePath: "dev.eka.store-path",
  narHash: "dev.eka.nar-hash",
  narSize: "dev.eka.nar-size",
  references: "dev.eka.references",
  signatures: "dev.eka.signatures",
  deriver: "dev.eka.deriver",
} as const;

/** The NAR hash (`sha256:<nixbase32>`) as an OCI digest (`sha256:<hex>`): the same bytes, so a blob checked against its digest is checked against the NAR hash. */
export function narDigest(narHash: string): string {
  return `sha256:${toHex(nixbase32Decode(narHash.slice("sha256:".length)))}`;
}

/**
 * Pushes the closure of `storePaths` to the registry repository `address` (`oci://HOST/REPO`),
 * one manifest per path tagged with its hash part. Signs with `secretKey` if given. Returns the
 * paths pushed, references first.
 */
export async function pushToOciCache(store: Store, address: string, storePaths: string[], options: { secretKey?: string; registry?: RegistryOptions } = {}): Promise<string[]> {
  const reg = new Registry(address, options.registry);
  if (reg.ref.reference) throw new EkaError("E_OCI_REF", `${address}: a binary cache is a repository (oci://HOST/REPO), without :TAG; eka tags each path by its hash`);
  const pushed: string[] = [];
  for (const p of topoSort(store, store.closure(storePaths.map((x) => parseStorePath(x).path)))) {
    const pi = store.queryPathInfo(p);
    if (!pi) throw new EkaError("E_NOT_IN_STORE", `${p} is not in the store ${store.address}`);
    const signatures = [...pi.signatures];
    if (options.secretKey) {
      const sig = signPathInfo(pi, options.secretKey);
      if (!signatures.includes(sig)) signatures.push(sig);
    }
    const tag = parseStorePath(p).hashPart;
    const digest = narDigest(pi.narHash);
    if (!(await reg.hasBlob(digest))) {
      const nar = concat([...store.dump(p)]);
      if (sha256Digest(nar) !== digest) throw new EkaError("E_HASH_MISMATCH", `${p}: its NAR no longer hashes to its recorded ${pi.narHash}; run 'eka store verify'`);
      await reg.putBlob(nar, digest);
    }
    const narinfo = new TextEncoder().encode(formatNarinfo({ ...pi, signatures, url: `blobs/${digest}`, compression: "none", fileHash: pi.narHash, fileSize: pi.narSize }));
    const config = descriptorOf(narinfo, MEDIA.narConfig);
    await reg.putBlob(narinfo, config.digest);
    const annotations: Record<string, string> = {
      [ANNOTATION.storePath]: p,
      [ANNOTATION.narHash]: pi.narHash,
      [ANNOTATION.narSize]: String(pi.narSize),
      [ANNOTATION.references]: pi.references.map((r) => r.slice(STORE_DIR.length + 1)).join(" "),
      [ANNOTATION.signatures]: signatures.join(" "),
      ...(pi.deriver ? { [ANNOTATION.deriver]: pi.deriver.slice(STORE_DIR.length + 1) } : {}),
    };
    const manifest = jsonBytes({ schemaVersion: 2, mediaType: MEDIA.manifest, config, layers: [{ mediaType: MEDIA.nar, digest, size: pi.narSize }], annotations });
    await reg.putManifest(tag, manifest);
    pushed.push(p);
  }
  return pushed;
}

interface CachedPath {
  storePath: string;
  narHash: string;
  narSize: number;
  references: string[];
  signatures: string[];
  deriver?: string;
  nar: Descriptor;
}

/**
 * Imports `storePaths` and their references from the registry repository `address`. With
 * `trustedKeys`, every path must be signed by one of them. Every NAR is fetched and checked
 * before the first path is added, so a failure adds nothing.
 */
export async function substituteFromOci(store: Store, address: string, storePaths: string[], options: { trustedKeys?: string[]; registry?: RegistryOptions } = {}): Promise<string[]> {
  const reg = new Registry(address, options.registry);
  if (reg.ref.reference) throw new EkaError("E_OCI_REF", `${address}: a binary cache is a repository (oci://HOST/REPO), without :TAG`);
  const infos = new Map<string, CachedPath>();
  const want = storePaths.map((x) => parseStorePath(x).path);
  while (want.length) {
    const p = want.pop() as string;
    if (infos.has(p) || store.has(p)) continue;
    const tag = parseStorePath(p).hashPart;
    const m = await reg.getManifest(tag);
    if (!m) throw new EkaError("E_NOT_IN_CACHE", `${p} is not in the registry cache ${reg.where} (no tag ${tag}); push it with 'eka store push ${address} ${p}'`);
    const info = cachedPath(m.bytes, `${reg.where}:${tag}`);
    if (info.storePath !== p) throw new EkaError("E_BAD_NARINFO", `${reg.where}:${tag} describes ${info.storePath}, not ${p}`);
    if (options.trustedKeys) checkSigned(info, options.trustedKeys);
    infos.set(p, info);
    for (const r of info.references) if (r !== p) want.push(r);
  }
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (p: string) => {
    if (seen.has(p) || !infos.has(p)) return;
    seen.add(p);
    for (const r of (infos.get(p) as CachedPath).references) if (r !== p) visit(r);
    order.push(p);
  };
  [...infos.keys()].sort().forEach(visit);
  const nars = new Map<string, Uint8Array>();
  for (const p of order) {
    const info = infos.get(p) as CachedPath;
    const nar = await reg.getBlob(info.nar.digest, info.narSize);
    if (!nar) throw new EkaError("E_NOT_IN_CACHE", `the NAR of ${p} (${info.nar.digest}) is missing from ${reg.where}; nothing was added`);
    nars.set(p, nar);
  }
  for (const p of order) {
    const info = infos.get(p) as CachedPath;
    await importNar(store, [nars.get(p) as Uint8Array], { storePath: p, references: info.references, narHash: info.narHash, narSize: info.narSize, signatures: info.signatures, ...(info.deriver ? { deriver: info.deriver } : {}) }, { where: `${reg.where}@${info.nar.digest} (NAR of ${p})` });
  }
  return order;
}

function cachedPath(bytes: Uint8Array, where: string): CachedPath {
  let m: { annotations?: Record<string, unknown>; layers?: unknown };
  try {
    m = JSON.parse(new TextDecoder().decode(bytes)) as typeof m;
  } catch {
    throw new EkaError("E_BAD_NARINFO", `${where}: the manifest is not JSON`);
  }
  const a = m.annotations ?? {};
  const field = (k: string): string => {
    const v = a[k];
    if (typeof v !== "string") throw new EkaError("E_BAD_NARINFO", `${where}: the manifest has no ${k} annotation (not pushed by 'eka store push')`);
    return v;
  };
  const storePath = parseStorePath(field(ANNOTATION.storePath)).path;
  const narHash = field(ANNOTATION.narHash);
  if (!/^sha256:[0-9a-df-np-sv-z]{52}$/.test(narHash)) throw new EkaError("E_BAD_NARINFO", `${where}: NAR hash '${narHash}' is not sha256:<nixbase32>`);
  const sizeText = field(ANNOTATION.narSize);
  if (!/^\d+$/.test(sizeText)) throw new EkaError("E_BAD_NARINFO", `${where}: NAR size '${sizeText}' is not a number`);
  const references = field(ANNOTATION.references).split(" ").filter(Boolean).map((b) => parseStoreBasename(b, `${where}: reference ${b}`).path);
  const signatures = (typeof a[ANNOTATION.signatures] === "string" ? (a[ANNOTATION.signatures] as string) : "").split(" ").filter(Boolean);
  const deriver = typeof a[ANNOTATION.deriver] === "string" ? `${STORE_DIR}/${a[ANNOTATION.deriver] as string}` : undefined;
  const layers = Array.isArray(m.layers) ? m.layers : [];
  if (layers.length !== 1) throw new EkaError("E_BAD_NARINFO", `${where}: the manifest must have exactly one layer (the NAR), not ${layers.length}`);
  const nar = checkDescriptor(layers[0], `${where}: layers[0]`);
  if (nar.digest !== narDigest(narHash)) throw new EkaError("E_OCI_DIGEST", `${where}: the NAR layer ${nar.digest} is not the NAR hash ${narHash} (${narDigest(narHash)}); refusing it`);
  return { storePath, narHash, narSize: Number(sizeText), references, signatures, ...(deriver ? { deriver } : {}), nar };
}

// ---- helpers ----

function checkDescriptor(d: unknown, where: string): Descriptor {
  const o = d as Partial<Descriptor> | null;
  if (!o || typeof o !== "object" || typeof o.mediaType !== "string" || typeof o.digest !== "string" || !/^sha256:[0-9a-f]{64}$/.test(o.digest) || typeof o.size !== "number" || !Number.isSafeInteger(o.size) || o.size < 0) {
    throw new EkaError("E_OCI_LAYOUT", `${where} is not a descriptor with mediaType, a sha256 digest and a size`);
  }
  return { mediaType: o.mediaType, digest: o.digest, size: o.size, ...(o.annotations && typeof o.annotations === "object" ? { annotations: o.annotations } : {}) };
}

function blobFile(dir: string, digest: string): string {
  return path.join(dir, "blobs", "sha256", digest.slice("sha256:".length));
}

function atomicWrite(file: string, bytes: Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, file);
}

function concat(chunks: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

