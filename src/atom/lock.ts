/**
 * atom.lock: what resolution chose for each source, pin and dependency, so a build needs no
 * network lookups and gives the same result tomorrow. TOML, written in a fixed order (tables by
 * name, keys in the order below) so the same lock is the same bytes.
 */
import { parse, TomlError } from "smol-toml";
import { EkaError } from "../errors.ts";

export const LOCK_FILE = "atom.lock";
export const LOCK_VERSION = 1;

/** A locked source or pin: the request it answers (kind, url/ref/path) and what it resolved to. */
export interface LockedSource {
  kind: "url" | "git" | "path";
  url?: string;
  ref?: string;
  path?: string;
  /** git: the commit `ref` named when resolved. */
  rev?: string;
  /** `blake3:<hex>` of the file's bytes (url, path to a file) or of the tree's NAR (git, directory). */
  hash: string;
}

/** A locked dependency. Path atoms are read live (their own lock applies); git atoms are fixed. */
export interface LockedDep {
  kind: "git" | "path";
  url?: string;
  path?: string;
  /** The range asked for (git), so a changed range marks the entry stale. */
  range?: string;
  id: string;
  version: string;
  tag?: string;
  rev?: string;
  hash?: string;
}

export interface Lock {
  version: number;
  srcs: Record<string, LockedSource>;
  pins: Record<string, LockedSource>;
  deps: Record<string, LockedDep>;
}

export function emptyLock(): Lock {
  return { version: LOCK_VERSION, srcs: {}, pins: {}, deps: {} };
}

const SOURCE_ORDER = ["kind", "url", "ref", "path", "rev", "hash"] as const;
const DEP_ORDER = ["kind", "id", "version", "url", "path", "range", "tag", "rev", "hash"] as const;

/** A TOML value as text; String() throws on smol-toml's tables, which have no prototype. */
const shown = (v: unknown): string => (typeof v !== "object" || v === null ? String(v) : Array.isArray(v) ? "an array" : "a table");

export function parseLock(text: string, file = LOCK_FILE): Lock {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof TomlError) throw new EkaError("E_LOCK", `${file}:${e.line}:${e.column}: not valid TOML; delete ${file} and run 'eka resolve' to write a fresh one`);
    throw e;
  }
  if (doc.version !== LOCK_VERSION) throw new EkaError("E_LOCK", `${file}: lock version ${shown(doc.version)} is not ${LOCK_VERSION}; run 'eka resolve' to rewrite it`);
  const lock = emptyLock();
  const tables = (k: "srcs" | "pins" | "deps") => {
    const t = doc[k];
    if (t === undefined) return {};
    if (typeof t !== "object" || t === null || Array.isArray(t)) throw new EkaError("E_LOCK", `${file}: [${k}] is not a table; run 'eka resolve'`);
    return t as Record<string, Record<string, unknown>>;
  };
  for (const k of ["srcs", "pins"] as const) {
    for (const [name, e] of Object.entries(tables(k))) {
      if (typeof e.hash !== "string" || !["url", "git", "path"].includes(shown(e.kind))) throw new EkaError("E_LOCK", `${file}: [${k}.${name}] lacks kind or hash; run 'eka resolve'`);
      lock[k][name] = pick(e, SOURCE_ORDER) as unknown as LockedSource;
    }
  }
  for (const [name, e] of Object.entries(tables("deps"))) {
    if (typeof e.id !== "string" || typeof e.version !== "string" || !["git", "path"].includes(shown(e.kind))) throw new EkaError("E_LOCK", `${file}: [deps.${name}] lacks kind, id or version; run 'eka resolve'`);
    lock.deps[name] = pick(e, DEP_ORDER) as unknown as LockedDep;
  }
  return lock;
}

export function formatLock(lock: Lock): string {
  const out = ["# Written by `eka resolve`; edit atom.toml instead. Format: docs/atom.md#atomlock", `version = ${LOCK_VERSION}`];
  const section = (k: string, entries: Record<string, object>, order: readonly string[]) => {
    for (const name of Object.keys(entries).sort()) {
      const e = entries[name] as Record<string, unknown>;
      out.push("", `[${k}.${tomlKey(name)}]`);
      for (const key of order) if (e[key] !== undefined) out.push(`${key} = ${JSON.stringify(String(e[key]))}`);
    }
  };
  section("deps", lock.deps, DEP_ORDER);
  section("pins", lock.pins, SOURCE_ORDER);
  section("srcs", lock.srcs, SOURCE_ORDER);
  return out.join("\n") + "\n";
}

function pick(e: Record<string, unknown>, keys: readonly string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (const k of keys) if (typeof e[k] === "string") o[k] = e[k] as string;
  return o;
}

function tomlKey(k: string): string {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k);
}
