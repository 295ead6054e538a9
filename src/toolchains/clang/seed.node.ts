/**
 * Node-only: compiles the seed's module once per process and unpacks its sysroot once into a host
 * cache directory. The files' paths come from bootstrap/ (seedFiles), through the caller.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { EkaError } from "../../errors.ts";
import { compileModule } from "../../runtime/modules.ts";
import { applyV8Flags } from "../../runtime/pool.node.ts";
import { blake3, initBlake3, toHex } from "../../util/blake3.ts";
import { atomicWrite, cacheDir, isAlive } from "../../util/host.node.ts";
import { sysrootEntries } from "./seed.ts";

const modules = new Map<string, Promise<{ key: string; module: WebAssembly.Module }>>();
const sysroots = new Map<string, Promise<string>>();

/** The compiled seed module at `wasm` (a host path) and its key (BLAKE3 hex of its bytes), once per process. */
export function seedModule(wasm: string): Promise<{ key: string; module: WebAssembly.Module }> {
  applyV8Flags();
  let m = modules.get(wasm);
  if (!m) modules.set(wasm, (m = compileModule(readFileSync(wasm), { key: memoisedSeedKey(wasm) })));
  return m;
}

/**
 * The seed's BLAKE3, memoised in the cache by the file's identity (size, mtime, inode), like git's
 * stat cache: hashing 75 MB costs ~80 ms of the first-use latency on every `eka cc`. Undefined
 * (hash it) the first time, when the key is written to the memo once known.
 */
function memoisedSeedKey(wasm: string): string | undefined {
  const memo = memoFile(wasm, "seed-key");
  const known = readMemo(memo);
  if (!known) queueMicrotask(() => void seedModule(wasm).then(({ key }) => writeMemo(memo, key), () => {}));
  return known;
}

/** Where the BLAKE3 of `file` is memoised: named by the file's size, mtime and inode. */
function memoFile(file: string, kind: string): string {
  const st = statSync(file);
  return join(cacheDir(), `${kind}-${st.size}-${Math.floor(st.mtimeMs)}-${st.ino}`);
}

function readMemo(memo: string): string | undefined {
  try {
    const text = readFileSync(memo, "utf8").trim();
    return /^[0-9a-f]{64}$/.test(text) ? text : undefined;
  } catch {
    return undefined;
  }
}

function writeMemo(memo: string, hash: string): void {
  try {
    mkdirSync(dirname(memo), { recursive: true });
    atomicWrite(memo, hash + "\n");
  } catch {
    // Only an optimisation: the next run hashes again.
  }
}

/**
 * The host directory holding the sysroot of the tar at `resources` (a host path), unpacked (mount
 * it read-only at guest /usr). Unpacked once into `$XDG_CACHE_HOME/eka/seed-<blake3 prefix of the
 * tar>/usr` (`EKA_CACHE` moves it; see util/host.node.ts): written under a temporary name and renamed into place, so a
 * half-unpacked cache is never used.
 */
export function sysrootDir(resources: string): Promise<string> {
  let p = sysroots.get(resources);
  if (!p) {
    p = unpackOnce(resources).catch((e: unknown) => {
      sysroots.delete(resources);
      throw e;
    });
    sysroots.set(resources, p);
  }
  return p;
}

async function unpackOnce(resources: string): Promise<string> {
  const root = cacheDir();
  const memo = memoFile(resources, "seed-usr");
  const known = readMemo(memo);
  if (known && existsSync(join(root, `seed-${known.slice(0, 16)}`, ".complete"))) return join(root, `seed-${known.slice(0, 16)}`, "usr");
  const tar = readFileSync(resources);
  await initBlake3();
  const hash = toHex(blake3(tar));
  writeMemo(memo, hash);
  const prefix = hash.slice(0, 16);
  const final = join(root, `seed-${prefix}`);
  const usr = join(final, "usr");
  if (existsSync(join(final, ".complete"))) return usr;
  removeAbandoned(root);
  const tmp = join(root, `.seed-${prefix}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
  try {
    for (const e of await sysrootEntries(tar)) {
      const p = join(tmp, "usr", e.path);
      if (e.data === undefined) mkdirSync(p, { recursive: true });
      else {
        mkdirSync(dirname(p), { recursive: true });
        writeFileSync(p, e.data);
      }
    }
    writeFileSync(join(tmp, ".complete"), prefix + "\n");
    try {
      renameSync(tmp, final);
    } catch (e) {
      // Another process finished first; its copy is as good as ours.
      if (!existsSync(join(final, ".complete"))) throw e;
      rmSync(tmp, { recursive: true, force: true });
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (e instanceof EkaError) throw e;
    throw new EkaError("E_SEED_CACHE", `could not unpack the seed sysroot into ${final}: ${e instanceof Error ? e.message : String(e)}; check that the directory is writable or set EKA_CACHE`);
  }
  return usr;
}

/** Removes temp unpack directories left by processes that died mid-unpack (their pid is gone). */
function removeAbandoned(root: string): void {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^\.seed-[0-9a-f]+\.tmp-(\d+)-/.exec(name);
    if (m && !isAlive(Number(m[1]))) rmSync(join(root, name), { recursive: true, force: true });
  }
}

