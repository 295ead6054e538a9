/**
 * The per-process module cache: each WebAssembly module is compiled once, keyed by the BLAKE3 of
 * its bytes, and the compiled `WebAssembly.Module` is shared (with worker threads too: a Module is
 * structured-cloneable, so a worker receives compiled code instead of recompiling 75 MB of clang).
 */
import { EkaError } from "../errors.ts";
import { blake3, initBlake3, toHex } from "../util/blake3.ts";

const compiled = new Map<string, Promise<WebAssembly.Module>>();
// The same buffer handed in again (e.g. the seed read once per process) is not hashed again.
const keyOfBytes = new WeakMap<Uint8Array, string>();

/** The cache key of `bytes`: BLAKE3 hex. */
export async function moduleKey(bytes: Uint8Array): Promise<string> {
  const known = keyOfBytes.get(bytes);
  if (known) return known;
  await initBlake3();
  const key = toHex(blake3(bytes));
  keyOfBytes.set(bytes, key);
  return key;
}

/**
 * Compiles `bytes` once per process. Compilation starts before hashing so that V8's background
 * compile threads overlap the hash (first use of the seed is latency the user feels); if the key
 * turns out to be cached already, the new compile is dropped.
 */
export async function compileModule(bytes: Uint8Array, opts: { key?: string } = {}): Promise<{ key: string; module: WebAssembly.Module }> {
  // A caller that already knows the BLAKE3 of `bytes` (e.g. memoised by file identity) saves the hash.
  if (opts.key && !keyOfBytes.has(bytes)) keyOfBytes.set(bytes, opts.key);
  const known = keyOfBytes.get(bytes);
  if (known) {
    const hit = compiled.get(known);
    if (hit) return { key: known, module: await hit };
  }
  const pending = WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>).catch((e: unknown) => {
    throw new EkaError("E_WASM_COMPILE", `not a valid WebAssembly module (${bytes.length} bytes): ${e instanceof Error ? e.message : String(e)}`);
  });
  const key = await moduleKey(bytes);
  const cached = compiled.get(key);
  if (cached) {
    pending.catch(() => {});
    return { key, module: await cached };
  }
  compiled.set(key, pending);
  pending.catch(() => compiled.delete(key));
  return { key, module: await pending };
}

/** How many modules this process has compiled (or adopted). */
export function compiledModuleCount(): number {
  return compiled.size;
}

/** A module compiled earlier in this process (or handed to this worker), by key. */
export function cachedModule(key: string): Promise<WebAssembly.Module> | undefined {
  return compiled.get(key);
}

/** Records a module compiled elsewhere (a worker receiving it from the pool). */
export function adoptModule(key: string, module: WebAssembly.Module): void {
  if (!compiled.has(key)) compiled.set(key, Promise.resolve(module));
}
