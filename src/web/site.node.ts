/**
 * Node-only: the files of the `eka web` page — the bundled page and worker (dist/web/), the seed's
 * two files, config.json (the seed version, the store) and examples.json (the example atoms the
 * editor starts from) — and the HTTP server that serves them on 127.0.0.1 with the headers the
 * page needs, or a folder of them to host anywhere.
 */
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync, copyFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, extname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { loadTreeAtom } from "../atom/memory.ts";
import { seedFiles, seedVersion } from "../bootstrap/seed.node.ts";
import { seedStorePath } from "../bootstrap/seed.ts";
import { EkaError } from "../errors.ts";
import { initIR } from "../ir/pid.ts";
import { MemoryTree } from "../store/memory-tree.ts";

/**
 * Served with every file. COOP/COEP make the page cross-origin isolated (SharedArrayBuffer and
 * Atomics.wait in the worker, which the WASI host's sleeps use); CORP lets the worker and seed load
 * under COEP; no-cache keeps a rebuilt page from being served stale (the seed is cached by the
 * page itself, in Cache Storage, under its BLAKE3 pin).
 */
export const WEB_HEADERS: Record<string, string> = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-embedder-policy": "require-corp",
  "cross-origin-resource-policy": "same-origin",
  "x-content-type-options": "nosniff",
  "cache-control": "no-cache",
};

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".wasm": "application/wasm",
  ".tar": "application/x-tar",
};

/** One file of the site: bytes, or a host file streamed as it is served. */
export type SiteFile = { bytes: Uint8Array } | { file: string };

export interface SiteOptions {
  /** Directory of example atoms (default: eka's examples/). */
  examples?: string;
  /** The store the page opens (default opfs:eka). */
  store?: string;
}

/** Every file of the page by its URL path ("/index.html", "/seed/llvm.core.wasm", …). */
export async function webSite(opts: SiteOptions = {}): Promise<Map<string, SiteFile>> {
  const root = packageRoot();
  const dist = join(root, "dist", "web");
  if (!existsSync(join(dist, "page.js"))) throw new EkaError("E_NOT_FOUND", `the page's bundle ${join(dist, "page.js")} is missing; run 'node scripts/build.mjs' (npm ci does) in ${root}`);
  await initIR();
  const site = new Map<string, SiteFile>();
  for (const f of readdirSync(dist)) site.set(`/${f}`, { file: join(dist, f) });
  const seed = seedFiles();
  site.set("/seed/llvm.core.wasm", { file: seed.wasm });
  site.set("/seed/llvm-resources.tar", { file: seed.resources });
  const version = seedVersion();
  const config = { seedVersion: version, seedStorePath: seedStorePath(version), seedWasm: "seed/llvm.core.wasm", seedTar: "seed/llvm-resources.tar", store: opts.store ?? "opfs:eka" };
  site.set("/config.json", { bytes: json(config) });
  site.set("/examples.json", { bytes: json(await examplesOf(opts.examples ?? join(root, "examples"), config.seedStorePath)) });
  return site;
}

/**
 * The example atoms whose files all sit inside `dir` and load from a tree (examples/sqlite reads
 * SQLite from node_modules, outside it, so it stays a command-line example). Locks are left out:
 * the page answers path entries from the files as edited.
 */
export async function examplesOf(dir: string, seed: string): Promise<{ atoms: { dir: string; id: string }[]; files: Record<string, string> }> {
  await initIR();
  const files: Record<string, string> = {};
  const tree = new MemoryTree();
  const add = (abs: string) => {
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      const p = join(abs, e.name);
      if (e.isDirectory()) add(p);
      else if (e.isFile() && e.name !== "atom.lock" && statSync(p).size <= 256 * 1024) {
        const rel = relative(dir, p).split("\\").join("/");
        const data = readFileSync(p);
        files[rel] = data.toString("utf8");
        tree.put(rel, { kind: "file", data, executable: false });
      }
    }
  };
  if (existsSync(dir)) add(dir);
  const atoms: { dir: string; id: string }[] = [];
  for (const d of readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort()) {
    try {
      const a = await loadTreeAtom(tree, d, { seed });
      atoms.push({ dir: d, id: a.graph.manifest.atom.id });
    } catch {
      for (const f of Object.keys(files)) if (f.startsWith(`${d}/`)) delete files[f];
    }
  }
  // Apps (atoms others do not depend on) first: hello, then greet-app, which pulls greet-lib in.
  return { atoms, files };
}

/** Serves `site` on 127.0.0.1:`port` (0: any free port); resolves once listening. */
export async function serveSite(site: Map<string, SiteFile>, port = 0): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => answer(site, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) => reject(e.code === "EADDRINUSE" ? new EkaError("E_USAGE", `eka web: port ${port} on 127.0.0.1 is in use; pick another with --port N (or --port 0 for any free one)`) : e));
    server.listen(port, "127.0.0.1", resolve);
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

/**
 * Writes `site` as a folder of static files, with `_headers` (the COOP/COEP headers in the format
 * Netlify and Cloudflare Pages read) — other hosts must be told to send them (docs/web.md).
 */
export function writeSite(site: Map<string, SiteFile>, out: string): string[] {
  const written: string[] = [];
  for (const [url, f] of site) {
    if (url.endsWith(".map")) continue;
    const dest = join(out, ...url.split("/").filter(Boolean));
    mkdirSync(dirname(dest), { recursive: true });
    if ("file" in f) copyFileSync(f.file, dest);
    else writeFileSync(dest, f.bytes);
    written.push(dest);
  }
  writeFileSync(join(out, "_headers"), `/*\n${Object.entries(WEB_HEADERS).map(([k, v]) => `  ${k}: ${v}`).join("\n")}\n`);
  written.push(join(out, "_headers"));
  return written;
}

function answer(site: Map<string, SiteFile>, req: IncomingMessage, res: ServerResponse): void {
  const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
  const f = site.get(path === "/" ? "/index.html" : path);
  if (!f || (req.method !== "GET" && req.method !== "HEAD")) {
    res.writeHead(f ? 405 : 404, { ...WEB_HEADERS, "content-type": "text/plain" }).end(f ? "GET only\n" : "not found\n");
    return;
  }
  const type = TYPES[extname(path === "/" ? "/index.html" : path)] ?? "application/octet-stream";
  const size = "file" in f ? statSync(f.file).size : f.bytes.length;
  res.writeHead(200, { ...WEB_HEADERS, "content-type": type, "content-length": String(size) });
  if (req.method === "HEAD") res.end();
  else if ("file" in f) createReadStream(f.file).pipe(res);
  else res.end(f.bytes);
}

function json(v: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(v));
}

/** eka's package directory: the one above this file (or the bundle in dist/) holding package.json. */
function packageRoot(): string {
  for (let d = dirname(fileURLToPath(import.meta.url)); d !== dirname(d); d = dirname(d)) {
    if (existsSync(join(d, "package.json")) && existsSync(join(d, "src", "web", "page.ts"))) return d;
  }
  throw new EkaError("E_NOT_FOUND", `cannot find eka's package directory (holding src/web/page.ts) above ${fileURLToPath(import.meta.url)}`);
}
