/**
 * Store paths: `/nix/store/<32 nixbase32 characters = 160 bits>-<name>`, with names checked by
 * Nix's rules so every path eka makes is one Nix accepts.
 */
import { EkaError } from "../errors.ts";
import { digestToBytes, type Digest } from "./digest.ts";
import { nixbase32Decode, nixbase32Encode } from "./nixbase32.ts";

export const STORE_DIR = "/nix/store";
export const HASH_PART_LENGTH = 32;
/** Nix's limit on a store path name. */
export const MAX_NAME_LENGTH = 211;

export interface ParsedStorePath {
  /** The full path, `/nix/store/<hash>-<name>`. */
  path: string;
  /** `<hash>-<name>`. */
  basename: string;
  /** The 32 nixbase32 characters. */
  hashPart: string;
  name: string;
}

/**
 * The store path for a 160-bit hash (the first 20 bytes of `hash` are used, so a whole pid
 * Digest can be passed) and a name.
 */
export function makeStorePath(hash: Uint8Array | Digest, name: string): string {
  const bytes = typeof hash === "string" ? digestToBytes(hash) : hash;
  if (bytes.length < 20) throw new EkaError("E_BAD_STORE_PATH", `a store path hash needs 20 bytes, got ${bytes.length}`);
  const problem = nameProblem(name);
  if (problem) throw new EkaError("E_BAD_STORE_NAME", `'${name}' is not a valid store path name: ${problem}`);
  return `${STORE_DIR}/${nixbase32Encode(bytes.subarray(0, 20))}-${name}`;
}

/** Why `name` is not a valid store path name by Nix's rules, or null if it is. */
export function nameProblem(name: string): string | null {
  if (name.length === 0) return "it is empty";
  if (name.length > MAX_NAME_LENGTH) return `it is longer than ${MAX_NAME_LENGTH} characters`;
  if (name === "." || name === ".." || name.startsWith(".-") || name.startsWith("..-")) {
    return "its first dash-separated part must not be '.' or '..'";
  }
  const bad = /[^0-9a-zA-Z+\-._?=]/.exec(name);
  if (bad) return `character '${bad[0]}' is not allowed (only letters, digits and + - . _ ? =)`;
  return null;
}

export function isValidName(name: string): boolean {
  return nameProblem(name) === null;
}

/** Turns arbitrary text (a file name) into a valid store name, e.g. for `eka store add`. */
export function sanitizeName(text: string): string {
  let name = text.replace(/[^0-9a-zA-Z+\-._?=]/g, "_").slice(0, MAX_NAME_LENGTH);
  if (nameProblem(name)) name = `source${name.length ? "-" + name.replace(/^\.+/, "") : ""}`.slice(0, MAX_NAME_LENGTH);
  return nameProblem(name) ? "source" : name;
}

/**
 * Parses a store path (`/nix/store/<hash>-<name>`, with nothing after the name). Throws
 * E_NOT_STORE_PATH naming what is wrong.
 */
export function parseStorePath(path: string): ParsedStorePath {
  const prefix = STORE_DIR + "/";
  if (!path.startsWith(prefix)) {
    throw new EkaError("E_NOT_STORE_PATH", `'${path}' is not a store path: it does not start with ${prefix}`);
  }
  return parseStoreBasename(path.slice(prefix.length), path);
}

/** Parses `<hash>-<name>`; `shown` is what the error message quotes. */
export function parseStoreBasename(basename: string, shown = basename): ParsedStorePath {
  if (basename.includes("/")) {
    throw new EkaError("E_NOT_STORE_PATH", `'${shown}' is not a store path: it names something inside one (strip everything after '${basename.split("/")[0]}')`);
  }
  const hashPart = basename.slice(0, HASH_PART_LENGTH);
  if (basename.length < HASH_PART_LENGTH + 2 || basename[HASH_PART_LENGTH] !== "-") {
    throw new EkaError("E_NOT_STORE_PATH", `'${shown}' is not a store path: expected <32 nixbase32 characters>-<name> after ${STORE_DIR}/`);
  }
  try {
    nixbase32Decode(hashPart);
  } catch {
    throw new EkaError("E_NOT_STORE_PATH", `'${shown}' is not a store path: its hash part '${hashPart}' is not nixbase32`);
  }
  const name = basename.slice(HASH_PART_LENGTH + 1);
  const problem = nameProblem(name);
  if (problem) throw new EkaError("E_NOT_STORE_PATH", `'${shown}' is not a store path: name '${name}' is invalid: ${problem}`);
  return { path: `${STORE_DIR}/${basename}`, basename, hashPart, name };
}

export function isStorePath(path: string): boolean {
  try {
    parseStorePath(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Splits `/nix/store/<hash>-<name>/sub/path` into the store path and the path inside it ("" for
 * the root). Accepts a bare basename too.
 */
export function splitStorePath(path: string): { storePath: string; sub: string } {
  const rel = path.startsWith(STORE_DIR + "/") ? path.slice(STORE_DIR.length + 1) : path;
  const slash = rel.indexOf("/");
  const base = slash < 0 ? rel : rel.slice(0, slash);
  const parsed = parseStoreBasename(base, path);
  const sub = slash < 0 ? "" : rel.slice(slash + 1).replace(/\/+$/, "");
  return { storePath: parsed.path, sub };
}

