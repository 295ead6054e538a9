/**
 * narinfo files and ed25519 signatures in Nix's formats. Keys are `name:base64`: a secret key is
 * 64 bytes (seed then public key, as `nix key generate-secret` writes), a public key 32 bytes,
 * a signature 64 bytes. What is signed is the fingerprint
 * `1;<store path>;<nar hash>;<nar size>;<references as full paths, comma-separated>`.
 */
import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import { EkaError } from "../errors.ts";
import { parseStoreBasename, parseStorePath, STORE_DIR } from "./store-path.ts";
import type { PathInfo } from "./types.ts";

ed.hashes.sha512 = sha512;

export interface KeyPair {
  /** `name:base64(seed ‖ public key)`. */
  secretKey: string;
  /** `name:base64(public key)`. */
  publicKey: string;
}

/** The fields a narinfo adds to path info: where the NAR file is and how it is compressed. */
export interface Narinfo {
  storePath: string;
  url: string;
  compression: string;
  fileHash?: string;
  fileSize?: number;
  narHash: string;
  narSize: number;
  references: string[];
  deriver?: string;
  signatures: string[];
  ca?: string;
}

export function fingerprint(info: Pick<PathInfo, "storePath" | "narHash" | "narSize" | "references">): string {
  if (!/^sha256:[0-9a-df-np-sv-z]{52}$/.test(info.narHash)) {
    throw new EkaError("E_BAD_NAR_HASH", `NAR hash '${info.narHash}' of ${info.storePath} is not sha256:<nixbase32>`);
  }
  return `1;${info.storePath};${info.narHash};${info.narSize};${[...info.references].sort().join(",")}`;
}

export function generateKeyPair(name: string): KeyPair {
  checkKeyName(name);
  const seed = ed.utils.randomSecretKey();
  const pub = ed.getPublicKey(seed);
  const secret = new Uint8Array(64);
  secret.set(seed);
  secret.set(pub, 32);
  return { secretKey: `${name}:${toBase64(secret)}`, publicKey: `${name}:${toBase64(pub)}` };
}

export function publicKeyOf(secretKey: string): string {
  const { name, seed } = parseSecretKey(secretKey);
  return `${name}:${toBase64(ed.getPublicKey(seed))}`;
}

/** A Nix signature `name:base64` of the path's fingerprint. */
export function signPathInfo(info: Pick<PathInfo, "storePath" | "narHash" | "narSize" | "references">, secretKey: string): string {
  const { name, seed } = parseSecretKey(secretKey);
  const sig = ed.sign(new TextEncoder().encode(fingerprint(info)), seed);
  return `${name}:${toBase64(sig)}`;
}

/**
 * The names of the trusted keys (`name:base64` public keys) with a valid signature among
 * `info.signatures`. Malformed signatures count as invalid, not as errors.
 */
export function validSignatures(info: Pick<PathInfo, "storePath" | "narHash" | "narSize" | "references" | "signatures">, publicKeys: string[]): string[] {
  const keys = new Map(publicKeys.map((k) => {
    const { name, bytes } = splitKey(k, "public key");
    if (bytes.length !== 32) throw new EkaError("E_BAD_KEY", `public key '${name}' must be 32 bytes, got ${bytes.length}`);
    return [name, bytes] as const;
  }));
  const msg = new TextEncoder().encode(fingerprint(info));
  const ok: string[] = [];
  for (const s of info.signatures) {
    const colon = s.indexOf(":");
    const key = keys.get(s.slice(0, colon));
    if (colon <= 0 || !key) continue;
    try {
      const sig = fromBase64(s.slice(colon + 1));
      if (sig.length === 64 && ed.verify(sig, msg, key)) ok.push(s.slice(0, colon));
    } catch {
      // not base64 or not a point: invalid
    }
  }
  return ok;
}

/** Throws E_BAD_SIGNATURE unless one of `publicKeys` signed `info`. */
export function checkSigned(info: Pick<PathInfo, "storePath" | "narHash" | "narSize" | "references" | "signatures">, publicKeys: string[]): void {
  if (validSignatures(info, publicKeys).length) return;
  const names = publicKeys.map((k) => k.slice(0, k.indexOf(":"))).join(", ");
  const have = info.signatures.map((s) => s.slice(0, s.indexOf(":"))).join(", ") || "none";
  throw new EkaError("E_BAD_SIGNATURE", `${info.storePath} has no valid signature by a trusted key (trusted: ${names}; signatures by: ${have}); refusing it`);
}

export function formatNarinfo(n: Narinfo): string {
  const lines = [
    `StorePath: ${n.storePath}`,
    `URL: ${n.url}`,
    `Compression: ${n.compression}`,
    ...(n.fileHash ? [`FileHash: ${n.fileHash}`] : []),
    ...(n.fileSize !== undefined ? [`FileSize: ${n.fileSize}`] : []),
    `NarHash: ${n.narHash}`,
    `NarSize: ${n.narSize}`,
    `References: ${[...n.references].sort().map((r) => r.slice(STORE_DIR.length + 1)).join(" ")}`,
    ...(n.deriver ? [`Deriver: ${n.deriver.slice(STORE_DIR.length + 1)}`] : []),
    ...n.signatures.map((s) => `Sig: ${s}`),
    ...(n.ca ? [`CA: ${n.ca}`] : []),
  ];
  return lines.join("\n") + "\n";
}

/** Parses a narinfo; E_BAD_NARINFO names the file (`where`), the line and what is wrong. */
export function parseNarinfo(text: string, where = "narinfo"): Narinfo {
  const bad = (why: string): never => {
    throw new EkaError("E_BAD_NARINFO", `${where}: ${why}`);
  };
  const fields = new Map<string, string>();
  const sigs: string[] = [];
  text.split("\n").forEach((line, i) => {
    if (line === "") return;
    const colon = line.indexOf(": ");
    if (colon <= 0) bad(`line ${i + 1} is not 'Key: value'`);
    const key = line.slice(0, colon);
    const value = line.slice(colon + 2);
    if (key === "Sig") sigs.push(value);
    else fields.set(key, value);
  });
  const need = (k: string) => fields.get(k) ?? bad(`the ${k} field is missing`);
  const int = (k: string) => {
    const v = need(k);
    if (!/^\d+$/.test(v)) bad(`${k} '${v}' is not a number`);
    return Number(v);
  };
  const storePath = parseStorePath(need("StorePath")).path;
  const narHash = need("NarHash");
  if (!/^sha256:[0-9a-df-np-sv-z]{52}$/.test(narHash)) bad(`NarHash '${narHash}' is not sha256:<nixbase32>`);
  const refs = (fields.get("References") ?? "").split(" ").filter(Boolean).map((b) => parseStoreBasename(b, `${where}: reference ${b}`).path);
  const n: Narinfo = {
    storePath,
    url: need("URL"),
    compression: fields.get("Compression") ?? "bzip2",
    narHash,
    narSize: int("NarSize"),
    references: refs,
    signatures: sigs,
  };
  if (fields.has("FileHash")) n.fileHash = fields.get("FileHash") as string;
  if (fields.has("FileSize")) n.fileSize = int("FileSize");
  const deriver = fields.get("Deriver");
  if (deriver && deriver !== "unknown-deriver") n.deriver = `${STORE_DIR}/${deriver}`;
  if (fields.has("CA")) n.ca = fields.get("CA") as string;
  return n;
}

function checkKeyName(name: string): void {
  if (!name || name.includes(":")) throw new EkaError("E_BAD_KEY", `key name '${name}' must be non-empty and contain no ':'`);
}

function splitKey(key: string, what: string): { name: string; bytes: Uint8Array } {
  const colon = key.indexOf(":");
  if (colon <= 0) throw new EkaError("E_BAD_KEY", `${what} must look like 'name:base64'`);
  try {
    return { name: key.slice(0, colon), bytes: fromBase64(key.slice(colon + 1).trim()) };
  } catch {
    throw new EkaError("E_BAD_KEY", `${what} '${key.slice(0, colon)}' is not valid base64`);
  }
}

function parseSecretKey(secretKey: string): { name: string; seed: Uint8Array } {
  const { name, bytes } = splitKey(secretKey, "secret key");
  if (bytes.length !== 64) throw new EkaError("E_BAD_KEY", `secret key '${name}' must be 64 bytes (seed and public key, as Nix writes it), got ${bytes.length}`);
  return { name, seed: bytes.subarray(0, 32) };
}

export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
