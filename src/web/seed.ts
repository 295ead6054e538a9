/**
 * The seed in a browser: its two files fetched once and kept in Cache Storage under their BLAKE3
 * pins (a second visit downloads nothing), the module compiled with
 * WebAssembly.compileStreaming, and both imported into a store only after bootstrap/'s
 * verifySeed accepted them. A cached copy that no longer matches its pin is deleted and refused
 * with E_HASH_MISMATCH naming both hashes, so a reload fetches a good one.
 */
import { EkaError, isEkaError } from "../errors.ts";
import { importSeed, SEED_PINS, seedStorePath } from "../bootstrap/seed.ts";
import type { Store } from "../store/store.ts";

export const SEED_CACHE = "eka-seed-v1";

export interface SeedSource {
  /** The @yowasp/clang version the files are (names the store path and picks the pins). */
  version: string;
  /** Where `llvm.core.wasm` and `llvm-resources.tar` are served. */
  wasmUrl: string;
  tarUrl: string;
  /** Cache Storage name; default SEED_CACHE. */
  cacheName?: string;
}

export interface LoadedSeed {
  storePath: string;
  module: WebAssembly.Module;
  /** Per file: whether it came from Cache Storage (true) or the network (false). */
  fromCache: { wasm: boolean; tar: boolean };
  ms: { fetch: number; compile: number; import: number; total: number };
}

/** Fetches (or takes from the cache), compiles, verifies and imports the seed into `store`. */
export async function loadSeed(store: Store, src: SeedSource): Promise<LoadedSeed> {
  const t0 = performance.now();
  const pins = SEED_PINS[src.version];
  const cache = await caches.open(src.cacheName ?? SEED_CACHE);
  const keyOf = (file: string, pin: string | undefined) => new Request(new URL(`/.eka-seed/${pin ? `blake3/${pin}` : `${src.version}/${file}`}`, self.location.href).href);
  const wasmKey = keyOf("llvm.core.wasm", pins?.wasm);
  const tarKey = keyOf("llvm-resources.tar", pins?.resourcesTar);
  const [wasmRes, tarRes] = await Promise.all([get(cache, wasmKey, src.wasmUrl, "application/wasm"), get(cache, tarKey, src.tarUrl, "application/x-tar")]);
  const tFetch = performance.now();
  // Compiling the streamed response overlaps reading the bytes that are hashed; nothing runs
  // before importSeed has checked them.
  const compiling = WebAssembly.compileStreaming(wasmRes.response.clone());
  const [wasm, tar] = await Promise.all([wasmRes.response.arrayBuffer(), tarRes.response.arrayBuffer()]).then((b) => b.map((x) => new Uint8Array(x)) as [Uint8Array, Uint8Array]);
  const tRead = performance.now();
  let storePath: string;
  try {
    storePath = await importSeed(store, src.version, async () => ({ wasm, resourcesTar: tar }));
  } catch (e) {
    compiling.catch(() => {});
    if (isEkaError(e, "E_HASH_MISMATCH") && (wasmRes.cached || tarRes.cached)) {
      await Promise.all([cache.delete(wasmKey), cache.delete(tarKey)]);
      throw new EkaError("E_HASH_MISMATCH", `${e.message.split("\n").slice(0, 3).join("\n")}\nThe copy in this browser's Cache Storage ('${src.cacheName ?? SEED_CACHE}') was changed; it was deleted and nothing was imported. Reload the page to download the seed again.`);
    }
    if (isEkaError(e, "E_HASH_MISMATCH")) throw new EkaError("E_HASH_MISMATCH", `${e.message.split("\n").slice(0, 3).join("\n")}\n${src.wasmUrl} and ${src.tarUrl} do not serve the pinned seed; nothing was imported or cached. Serve the files of @yowasp/clang ${src.version} (eka web does).`);
    throw e;
  }
  const tImport = performance.now();
  // Only verified bytes enter the cache.
  if (!wasmRes.cached) await cache.put(wasmKey, new Response(wasm as Uint8Array<ArrayBuffer>, { headers: { "content-type": "application/wasm" } }));
  if (!tarRes.cached) await cache.put(tarKey, new Response(tar as Uint8Array<ArrayBuffer>, { headers: { "content-type": "application/x-tar" } }));
  let module: WebAssembly.Module;
  try {
    module = await compiling;
  } catch (e) {
    throw new EkaError("E_WASM_COMPILE", `the seed module did not compile in this browser (${e instanceof Error ? e.message : String(e)}); eka needs a browser with WebAssembly bulk memory and SIMD (Chromium 91+, Firefox 89+, Safari 16.4+)`);
  }
  const tEnd = performance.now();
  return {
    storePath,
    module,
    fromCache: { wasm: wasmRes.cached, tar: tarRes.cached },
    ms: { fetch: tFetch - t0, compile: tEnd - tRead, import: tImport - tRead, total: tEnd - t0 },
  };
}

/** Whether both files of `src` are in the cache (a visit that will download nothing). */
export async function seedCached(src: SeedSource): Promise<boolean> {
  const pins = SEED_PINS[src.version];
  if (!pins) return false;
  const cache = await caches.open(src.cacheName ?? SEED_CACHE);
  const base = self.location.href;
  const hits = await Promise.all([pins.wasm, pins.resourcesTar].map((p) => cache.match(new URL(`/.eka-seed/blake3/${p}`, base).href)));
  return hits.every((h) => h !== undefined);
}

export { seedStorePath };

async function get(cache: Cache, key: Request, url: string, type: string): Promise<{ response: Response; cached: boolean }> {
  const hit = await cache.match(key);
  if (hit) return { response: hit, cached: true };
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new EkaError("E_FETCH", `cannot fetch the seed from ${url}: ${e instanceof Error ? e.message : String(e)}; is 'eka web' still running?`);
  }
  if (!res.ok) throw new EkaError("E_FETCH", `the seed at ${url} answered HTTP ${res.status}; serve the page with 'eka web' (it serves the seed), or put the files there`);
  // compileStreaming insists on the wasm MIME type.
  if (type === "application/wasm" && res.headers.get("content-type") !== type) res = new Response(res.body, { headers: { "content-type": type } });
  return { response: res, cached: false };
}
