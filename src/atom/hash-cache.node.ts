/**
 * Node-only: the hash of each path source remembered beside a fingerprint of its files' stat
 * data (path, type, size, mode, mtime, ctime, inode, device), as git's index does, so a lock
 * check re-reads and re-hashes only sources whose stat data changed. The cache is one JSON file
 * in the cache directory, written atomically; losing it (or a concurrent writer's entries)
 * costs only a re-hash.
 */
import { lstatSync, readdirSync, readFileSync, statSync, type BigIntStats } from "node:fs";
import { join } from "node:path";
import { hostRules } from "../store/host-rules.node.ts";
import { checkUtf8Names } from "../store/host-tree.node.ts";
import { blake3, toHex } from "../util/blake3.ts";

export const HASH_CACHE_FILE = "path-hashes.json";

/**
 * A file whose mtime or ctime is this close to the time its hash was taken is not cached: a
 * write within the file system's timestamp granularity (FAT: 2 s) could leave the stat data
 * unchanged while the bytes differ ("racily clean" in git's terms).
 */
const RACY_MS = 2000;

/** Entries kept; the least recently recorded go first. */
const MAX_ENTRIES = 4096;

const VERSION = 1;

export interface ScannedEntry {
  /** Relative to the scanned root, "/"-separated; "" for a file source itself. */
  rel: string;
  type: "file" | "dir" | "symlink";
  /** lstat (for the root of a file source: stat) taken before any byte is read. */
  st: BigIntStats;
}

export interface Scan {
  kind: "file" | "dir";
  /** Directory entries in walk order (parents before children); one entry for a file. */
  entries: ScannedEntry[];
  fingerprint: string;
  /** Latest mtime/ctime of any entry, in ns since the epoch. */
  newestNs: bigint;
}

/**
 * Stats `abs` (following a symlink at the root, as reading it does) and, for a directory, every
 * entry below it without following symlinks — the entries build/'s readDirTree reads. Throws
 * what statSync throws when `abs` is missing. Needs `await initBlake3()` first.
 */
export function scanPath(abs: string): Scan {
  const root = statSync(abs, { bigint: true });
  const entries: ScannedEntry[] = [];
  if (root.isFile()) {
    entries.push({ rel: "", type: "file", st: root });
  } else {
    const walk = (rel: string) => {
      const dirents = readdirSync(join(abs, rel), { withFileTypes: true });
      checkUtf8Names(join(abs, rel), dirents.map((d) => d.name));
      for (const d of dirents) {
        const r = rel === "" ? d.name : `${rel}/${d.name}`;
        const type = d.isDirectory() ? "dir" : d.isSymbolicLink() ? "symlink" : d.isFile() ? "file" : undefined;
        if (!type) continue;
        entries.push({ rel: r, type, st: lstatSync(join(abs, r), { bigint: true }) });
        if (type === "dir") walk(r);
      }
    };
    walk("");
  }
  // The path rules decide how the same files hash (names, line endings, what is refused).
  let text = `rules ${hostRules()}\0`;
  let newestNs = 0n;
  for (const { rel, type, st } of entries) {
    text += `${type} ${st.size} ${st.mode} ${st.mtimeNs} ${st.ctimeNs} ${st.ino} ${st.dev} ${rel}\0`;
    if (st.mtimeNs > newestNs) newestNs = st.mtimeNs;
    if (st.ctimeNs > newestNs) newestNs = st.ctimeNs;
  }
  return { kind: root.isFile() ? "file" : "dir", entries, fingerprint: toHex(blake3(new TextEncoder().encode(text))), newestNs };
}

/** Path → [fingerprint, hash], loaded once per command and saved once if it changed. */
export class HashCache {
  private entries = new Map<string, [string, string]>();
  private dirty = false;

  constructor(readonly file: string) {
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      return;
    }
    const d = data as { version?: unknown; entries?: unknown };
    if (d.version !== VERSION || typeof d.entries !== "object" || d.entries === null) return;
    for (const [k, v] of Object.entries(d.entries)) {
      if (Array.isArray(v) && typeof v[0] === "string" && typeof v[1] === "string") this.entries.set(k, [v[0], v[1]]);
    }
  }

  /** The hash recorded for `abs` when its stat data was exactly `scan`'s, else undefined. */
  get(abs: string, scan: Scan): string | undefined {
    const e = this.entries.get(abs);
    return e && e[0] === scan.fingerprint ? e[1] : undefined;
  }

  /** Records `hash` for `abs`, unless a file changed too close to `hashedAtMs` to be trusted. */
  set(abs: string, scan: Scan, hash: string, hashedAtMs: number): void {
    if (scan.newestNs >= BigInt(Math.floor(hashedAtMs - RACY_MS)) * 1_000_000n) return;
    const e = this.entries.get(abs);
    if (e && e[0] === scan.fingerprint && e[1] === hash) return;
    this.entries.delete(abs);
    this.entries.set(abs, [scan.fingerprint, hash]);
    for (const k of this.entries.keys()) {
      if (this.entries.size <= MAX_ENTRIES) break;
      this.entries.delete(k);
    }
    this.dirty = true;
  }

  /** The file's new text when something was recorded since it was read, else undefined. */
  changedText(): string | undefined {
    if (!this.dirty) return undefined;
    this.dirty = false;
    return JSON.stringify({ version: VERSION, entries: Object.fromEntries(this.entries) });
  }
}
