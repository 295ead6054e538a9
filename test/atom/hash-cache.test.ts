// A no-op `eka build` trusts the hash recorded for a path source whose stat data is unchanged
// (so it does not read the bytes), and still notices an edit: spawned `node bin/eka.js`, the real
// clang module, a real atom in a temp dir.
import { spawn } from "node:child_process";
import { readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { HASH_CACHE_FILE, HashCache, scanPath } from "../../src/atom/hash-cache.node.ts";
import { hashPath } from "../../src/atom/resolve.node.ts";
import { initBlake3 } from "../../src/util/blake3.ts";
import { tempDir, writeFiles } from "./helpers.ts";

const EKA = join(__dirname, "../../bin/eka.js");
const MAIN_C = 'int main(void) { return 0; }\n/* padding so an edit keeps the size: AAAA */\n';

let root = "";
let atom = "";
let cacheFile = "";
const env = () => ({ ...process.env, EKA_STORE: join(root, "store"), EKA_CACHE: join(root, "cache") });

function eka(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [EKA, ...args], { cwd: atom, env: env(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    p.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    p.on("error", reject);
    p.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

async function build(...args: string[]): Promise<{ built: boolean; pid: string }> {
  const r = await eka("build", "--json", ...args);
  if (r.status !== 0) throw new Error(`exit ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout).results[0];
}

const entries = (): Record<string, [string, string]> => JSON.parse(readFileSync(cacheFile, "utf8")).entries;
const lockedHash = () => /hash = "(blake3:[0-9a-f]{64})"/.exec(readFileSync(join(atom, "atom.lock"), "utf8"))?.[1];
/** Older than the cache's racy window (2 s), as a file is when its owner runs a build. */
const settle = () => new Promise((r) => setTimeout(r, 2100));

beforeAll(() => {
  root = tempDir("hash-cache");
  atom = writeFiles(join(root, "app"), {
    "atom.toml": '[atom]\nid = "app"\nversion = "1.0.0"\n\n[srcs.main]\npath = "src"\n\n[build]\nkind = "c"\n\n[build.bin.app]\nsources = ["main.c"]\n',
    "src/main.c": MAIN_C,
  });
  cacheFile = join(root, "cache", HASH_CACHE_FILE);
});

describe("path-source hash cache", () => {
  it("a no-op build answers from the recorded hash without reading the source; an edit is still noticed", async () => {
    await settle();
    const first = await build();
    expect(first.built).toBe(true);
    const src = join(atom, "src");
    const recorded = entries()[src];
    expect(recorded?.[1]).toBe(lockedHash());

    // Proof that the no-op did not read the bytes: a recorded hash that is wrong but whose
    // fingerprint still matches is believed (the lock then looks stale).
    const wrong = `blake3:${"0".repeat(64)}`;
    writeFileSync(cacheFile, JSON.stringify({ version: 1, entries: { [src]: [recorded?.[0], wrong] } }));
    const fooled = await eka("build", "--frozen");
    expect(fooled.status).toBe(1);
    expect(fooled.stderr).toMatch(/E_LOCK_STALE[\s\S]*the content of 'src' changed \(blake3:[0-9a-f]+… → blake3:0000/);
    writeFileSync(cacheFile, JSON.stringify({ version: 1, entries: { [src]: recorded } }));
    expect(await build("--frozen")).toMatchObject({ built: false, pid: first.pid });

    // Touched, same bytes: re-hashed (the stat data changed), same hash, still a no-op.
    const later = new Date(Date.now() - 10_000);
    utimesSync(join(src, "main.c"), later, later);
    expect(await build("--frozen")).toMatchObject({ built: false, pid: first.pid });

    // Edited to the same size with its mtime put back (as tools that preserve times do): the
    // ctime still differs, so the edit is noticed — frozen refuses, otherwise it re-locks and rebuilds.
    const { mtime } = statSync(join(src, "main.c"));
    writeFileSync(join(src, "main.c"), MAIN_C.replace("AAAA", "BBBB"));
    utimesSync(join(src, "main.c"), mtime, mtime);
    const frozen = await eka("build", "--frozen");
    expect(frozen.status).toBe(1);
    expect(frozen.stderr).toMatch(/E_LOCK_STALE[\s\S]*the content of 'src' changed/);
    const before = lockedHash();
    const rebuilt = await build();
    expect(rebuilt.built).toBe(true);
    expect(rebuilt.pid).not.toBe(first.pid);
    expect(lockedHash()).not.toBe(before);
  }, 300_000);

  it("does not record a file changed within the racy window, and re-reads it next time", async () => {
    await initBlake3();
    const dir = writeFiles(join(root, "fresh"), { "a.txt": "one\n" });
    const cache = new HashCache(join(root, "fresh-cache.json"));
    const h1 = await hashPath(dir, "fresh", cache);
    expect(cache.get(dir, scanPath(dir))).toBeUndefined();
    expect(cache.changedText()).toBeUndefined();
    // Rewritten at once with other bytes of the same size: seen, since nothing was trusted.
    writeFileSync(join(dir, "a.txt"), "two\n");
    expect(await hashPath(dir, "fresh", cache)).not.toBe(h1);
  });

  it("records a settled directory and misses once an entry is added", async () => {
    await initBlake3();
    const dir = writeFiles(join(root, "settled"), { "a.txt": "one\n", "sub/b.txt": "two\n" });
    await settle();
    const cache = new HashCache(join(root, "settled-cache.json"));
    const h = await hashPath(dir, "settled", cache);
    expect(cache.get(dir, scanPath(dir))).toBe(h);
    writeFileSync(join(dir, "sub/c.txt"), "");
    expect(cache.get(dir, scanPath(dir))).toBeUndefined();
  });
});
