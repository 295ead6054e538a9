/**
 * The store as a Nix HTTP binary cache (`eka store serve`): `GET /nix-cache-info`,
 * `/<hash part>.narinfo` (signed with the server's key when it has one) and
 * `/nar/<hash part>-<nar hash>.nar[.xz|.zst]`, each also as HEAD. NARs stream from the store as
 * they are read (compressed through the `xz` / `zstd` tools), with an ETag (a 304 for a matching
 * If-None-Match) and single byte ranges (206). A compressed NAR asked for by range is compressed
 * once into the server's temp directory and served from there, so every range cuts the same bytes.
 *
 * Uploads (PUT, as `nix copy --to http://…` sends them) are refused unless the server has an
 * upload token and the request carries it (`Authorization: Bearer TOKEN`, or Basic auth with TOKEN
 * as the password, which is what Nix's netrc file gives). A NAR is staged in the temp directory;
 * the narinfo naming it imports it only after its hash and size check out (`importNar`), so a
 * failed or partial upload stores nothing.
 */
import { spawn, spawnSync, type ChildProcessByStdio } from "node:child_process";
import { createHash, timingSafeEqual } from "node:crypto";
import { once } from "node:events";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { Readable, type Writable } from "node:stream";
import xz from "xz-decompress";
import { EkaError, isEkaError } from "../errors.ts";
import { formatNarinfo, parseNarinfo, signPathInfo } from "./narinfo.ts";
import { parseStorePath, STORE_DIR } from "./store-path.ts";
import type { Store } from "./store.ts";
import { importNar } from "./transfer.ts";
import type { PathInfo } from "./types.ts";

export type ServeCompression = "none" | "xz" | "zstd";

export interface ServeOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 picks a free port (the URL says which). */
  port: number;
  /** A Nix secret key (`name:base64`): every narinfo also carries its signature. */
  secretKey?: string;
  /** How NARs are offered in narinfos (default none); every kind stays fetchable by its URL. */
  compression?: ServeCompression;
  /** Accept PUT uploads that carry this token. */
  uploadToken?: string;
  /** Called once per request answered, for a log. */
  onRequest?: (method: string, url: string, status: number) => void;
}

export interface Server {
  /** `http://HOST:PORT`, the port the one chosen. */
  url: string;
  close(): Promise<void>;
}

const EXT: Record<ServeCompression, string> = { none: "", xz: ".xz", zstd: ".zst" };
const TOOL: Record<Exclude<ServeCompression, "none">, { cmd: string; args: string[]; apt: string }> = {
  // One thread: the same bytes every time (multi-threaded xz splits blocks by timing-free but
  // CPU-count-dependent sizes), so a range request and its ETag stay true across restarts.
  xz: { cmd: "xz", args: ["-c", "-6", "-T1"], apt: "xz-utils" },
  zstd: { cmd: "zstd", args: ["-c", "-q", "-3", "-T1"], apt: "zstd" },
};

/** Throws E_UNSUPPORTED_COMPRESSION unless the compressor `kind` needs is installed. */
export function checkCompressor(kind: ServeCompression): void {
  if (kind === "none") return;
  const t = TOOL[kind];
  if (spawnSync(t.cmd, ["--version"], { stdio: "ignore" }).status !== 0) {
    throw new EkaError("E_UNSUPPORTED_COMPRESSION", `--compression ${kind} needs the '${t.cmd}' program, which is not on PATH; install it (apt-get install ${t.apt}) or use --compression ${kind === "zstd" ? "xz or none" : "none"}`);
  }
}

/** Starts serving `store`; resolves once listening (E_PORT_IN_USE if the port is taken). */
export async function serveStore(store: Store, options: ServeOptions): Promise<Server> {
  const compression = options.compression ?? "none";
  checkCompressor(compression);
  const host = options.host ?? "127.0.0.1";
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "eka-serve-"));
  const ctx: Ctx = { store, compression, tmp, byHash: new Map(), compressed: new Map(), staged: 0, ...pick(options) };
  const server = http.createServer((req, res) => {
    handle(ctx, req, res).catch((e: unknown) => {
      if (!res.headersSent) reply(res, 500, `${e instanceof Error ? e.message : String(e)}\n`);
      else res.destroy();
    }).finally(() => options.onRequest?.(req.method ?? "", req.url ?? "", res.statusCode));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) => {
      fs.rmSync(tmp, { recursive: true, force: true });
      if (e.code === "EADDRINUSE") reject(new EkaError("E_PORT_IN_USE", `${host}:${options.port} is already in use by another program; pick another --port, or --port 0 for a free one`));
      else reject(new EkaError("E_SERVE_LISTEN", `cannot listen on ${host}:${options.port}: ${e.message}${e.code === "EACCES" ? " (ports below 1024 need root; pick --port 5000 or above)" : ""}`));
    });
    server.listen(options.port, host, () => resolve());
  });
  const addr = server.address() as { port: number };
  const shown = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shown}:${addr.port}`,
    close: async () => {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
      for (const p of ctx.compressed.values()) await p.catch(() => undefined);
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

interface Ctx {
  store: Store;
  compression: ServeCompression;
  secretKey?: string;
  uploadToken?: string;
  /** The server's own scratch: compressed NARs for ranges, staged uploads. */
  tmp: string;
  /** Hash part → store path, refreshed from the store's list on a miss. */
  byHash: Map<string, string>;
  /** Compressed NAR files being made or made, by file name. */
  compressed: Map<string, Promise<string>>;
  staged: number;
}

function pick(o: ServeOptions): Pick<Ctx, "secretKey" | "uploadToken"> {
  return { ...(o.secretKey !== undefined ? { secretKey: o.secretKey } : {}), ...(o.uploadToken !== undefined ? { uploadToken: o.uploadToken } : {}) };
}

const CACHE_INFO = `StoreDir: ${STORE_DIR}\nWantMassQuery: 1\nPriority: 30\n`;
const NARINFO_RE = /^\/([0-9a-df-np-sv-z]{32})\.narinfo$/;
const NAR_RE = /^\/nar\/([0-9a-df-np-sv-z]{32})-([0-9a-df-np-sv-z]{52})\.nar(\.xz|\.zst)?$/;

async function handle(ctx: Ctx, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = (req.url ?? "/").split("?")[0] as string;
  const method = req.method ?? "GET";
  if (method === "PUT") return upload(ctx, url, req, res);
  if (method !== "GET" && method !== "HEAD") {
    res.setHeader("Allow", ctx.uploadToken ? "GET, HEAD, PUT" : "GET, HEAD");
    return reply(res, 405, `${method} is not supported\n`);
  }
  const head = method === "HEAD";
  if (url === "/nix-cache-info") return text(req, res, CACHE_INFO, "text/x-nix-cache-info", head);
  const ni = NARINFO_RE.exec(url);
  if (ni) {
    const info = lookup(ctx, ni[1] as string);
    if (!info) return reply(res, 404, `no store path with hash ${ni[1]} here\n`);
    return text(req, res, narinfoOf(ctx, info), "text/x-nix-narinfo", head);
  }
  const nar = NAR_RE.exec(url);
  if (nar) {
    const info = lookup(ctx, nar[1] as string);
    if (!info || info.narHash !== `sha256:${nar[2]}`) return reply(res, 404, "no such NAR here\n");
    const kind = nar[3] === ".xz" ? "xz" : nar[3] === ".zst" ? "zstd" : "none";
    return serveNar(ctx, info, kind, req, res, head);
  }
  const staged = stagedFile(ctx, url);
  if (staged && fs.existsSync(staged)) return reply(res, 200, "");
  return reply(res, 404, "not found\n");
}

function lookup(ctx: Ctx, hashPart: string): PathInfo | null {
  let p = ctx.byHash.get(hashPart);
  if (!p) {
    for (const q of ctx.store.pathInfo.list()) ctx.byHash.set(parseStorePath(q).hashPart, q);
    p = ctx.byHash.get(hashPart);
  }
  return p ? ctx.store.queryPathInfo(p) : null;
}

function narinfoOf(ctx: Ctx, info: PathInfo): string {
  const { hashPart } = parseStorePath(info.storePath);
  const url = `nar/${hashPart}-${info.narHash.slice("sha256:".length)}.nar${EXT[ctx.compression]}`;
  const signatures = [...info.signatures];
  if (ctx.secretKey) {
    const sig = signPathInfo(info, ctx.secretKey);
    if (!signatures.includes(sig)) signatures.push(sig);
  }
  const plain = ctx.compression === "none" ? { fileHash: info.narHash, fileSize: info.narSize } : {};
  return formatNarinfo({ ...info, url, compression: ctx.compression, ...plain, signatures });
}

function text(req: http.IncomingMessage, res: http.ServerResponse, body: string, type: string, head: boolean): void {
  const etag = `"${createHash("sha256").update(body).digest("hex").slice(0, 32)}"`;
  if (notModified(req, res, etag)) return;
  res.writeHead(200, { "Content-Type": type, "Content-Length": Buffer.byteLength(body), ETag: etag });
  res.end(head ? undefined : body);
}

function notModified(req: http.IncomingMessage, res: http.ServerResponse, etag: string): boolean {
  const inm = req.headers["if-none-match"];
  if (!inm) return false;
  const tags = inm.split(",").map((t) => t.trim().replace(/^W\//, ""));
  if (!tags.includes(etag) && !tags.includes("*")) return false;
  res.writeHead(304, { ETag: etag }).end();
  return true;
}

async function serveNar(ctx: Ctx, info: PathInfo, kind: ServeCompression, req: http.IncomingMessage, res: http.ServerResponse, head: boolean): Promise<void> {
  const etag = `"${info.narHash.slice("sha256:".length)}${EXT[kind]}"`;
  if (notModified(req, res, etag)) return;
  const base = { "Content-Type": "application/x-nix-nar", "Accept-Ranges": "bytes", ETag: etag };
  const range = req.headers.range;
  if (kind === "none") {
    const r = range ? parseRange(range, info.narSize) : null;
    if (r === "unsatisfiable") return void res.writeHead(416, { ...base, "Content-Range": `bytes */${info.narSize}` }).end();
    const [start, end] = r ?? [0, info.narSize - 1];
    res.writeHead(r ? 206 : 200, { ...base, "Content-Length": end - start + 1, ...(r ? { "Content-Range": `bytes ${start}-${end}/${info.narSize}` } : {}) });
    if (head) return void res.end();
    return pumpRange(ctx.store.dump(info.storePath), start, end, res);
  }
  checkCompressor(kind);
  const name = `${info.narHash.slice("sha256:".length)}.nar${EXT[kind]}`;
  if (!range && !ctx.compressed.has(name)) {
    // Stream straight from the compressor: the first byte goes out before the last is read.
    res.writeHead(200, base);
    if (head) return void res.end();
    return compressTo(ctx.store, info.storePath, kind, res);
  }
  const file = await compressedFile(ctx, info.storePath, name, kind);
  const size = fs.statSync(file).size;
  const r = range ? parseRange(range, size) : null;
  if (r === "unsatisfiable") return void res.writeHead(416, { ...base, "Content-Range": `bytes */${size}` }).end();
  const [start, end] = r ?? [0, size - 1];
  res.writeHead(r ? 206 : 200, { ...base, "Content-Length": end - start + 1, ...(r ? { "Content-Range": `bytes ${start}-${end}/${size}` } : {}) });
  if (head || size === 0) return void res.end();
  const stream = fs.createReadStream(file, { start, end });
  stream.pipe(res);
  await once(res, "close");
  stream.destroy();
}

/** A single `bytes=` range as [first, last], null to ignore (several ranges: the whole body). */
function parseRange(header: string, size: number): [number, number] | null | "unsatisfiable" {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return null;
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return "unsatisfiable";
    return [Math.max(0, size - n), size - 1];
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return "unsatisfiable";
  return [start, end];
}

/** Writes bytes start..end (inclusive) of the chunks to `out`, waiting when it is full. */
async function pumpRange(chunks: Iterable<Uint8Array>, start: number, end: number, out: Writable): Promise<void> {
  const batch = new Batcher(out);
  let pos = 0;
  for (const chunk of chunks) {
    if (out.destroyed) return;
    const from = Math.max(0, start - pos);
    const to = Math.min(chunk.length, end + 1 - pos);
    pos += chunk.length;
    if (to <= from) {
      if (pos > end) break;
      continue;
    }
    if (!batch.write(from === 0 && to === chunk.length ? chunk : chunk.subarray(from, to))) await drained(out);
    if (pos > end) break;
  }
  if (!batch.flush()) await drained(out);
  out.end();
}

/**
 * Gathers a NAR's many small pieces (headers, names, padding: a few bytes each) into writes of
 * up to BATCH bytes; a socket write per piece costs a syscall and a TCP segment each, which made
 * `nix copy` 3x slower than from a static file server. `write`/`flush` return what out.write did.
 */
class Batcher {
  private buf = new Uint8Array(BATCH);
  private used = 0;
  constructor(private readonly out: Writable) {}
  write(chunk: Uint8Array): boolean {
    let ok = true;
    if (this.used + chunk.length > BATCH) ok = this.flush();
    if (chunk.length >= BATCH) return this.out.write(chunk) && ok;
    this.keep(chunk);
    return ok;
  }
  flush(): boolean {
    if (this.used === 0) return true;
    const full = this.buf.subarray(0, this.used);
    this.buf = new Uint8Array(BATCH);
    this.used = 0;
    return this.out.write(full);
  }
  private keep(chunk: Uint8Array): void {
    this.buf.set(chunk, this.used);
    this.used += chunk.length;
  }
}

const BATCH = 256 * 1024;

function drained(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off("drain", done);
      out.off("close", done);
      resolve();
    };
    out.on("drain", done);
    out.on("close", done);
  });
}

/** Runs the NAR of `storePath` through the compressor into `out` (ended when done). */
async function compressTo(store: Store, storePath: string, kind: Exclude<ServeCompression, "none">, out: Writable): Promise<void> {
  const t = TOOL[kind];
  const child: ChildProcessByStdio<Writable, Readable, null> = spawn(t.cmd, t.args, { stdio: ["pipe", "pipe", "ignore"] });
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  child.stdin.on("error", () => undefined);
  const stop = () => child.kill();
  out.once("close", stop);
  child.stdout.pipe(out);
  const batch = new Batcher(child.stdin);
  try {
    for (const chunk of store.dump(storePath)) {
      if (out.destroyed || child.stdin.destroyed) break;
      if (!batch.write(chunk)) await drained(child.stdin);
    }
    if (!child.stdin.destroyed) batch.flush();
  } finally {
    child.stdin.end();
  }
  const code = await exited;
  out.off("close", stop);
  if (code !== 0 && !out.destroyed) out.destroy(new Error(`${t.cmd} exited ${code}`));
}

/** The compressed NAR as a file in the server's temp directory, made once. */
function compressedFile(ctx: Ctx, storePath: string, name: string, kind: Exclude<ServeCompression, "none">): Promise<string> {
  let p = ctx.compressed.get(name);
  if (!p) {
    const file = path.join(ctx.tmp, name);
    const part = `${file}.part`;
    p = (async () => {
      const out = fs.createWriteStream(part);
      await compressTo(ctx.store, storePath, kind, out);
      if (!out.closed) await once(out, "close");
      fs.renameSync(part, file);
      return file;
    })();
    p.catch(() => ctx.compressed.delete(name));
    ctx.compressed.set(name, p);
  }
  return p;
}

// ---- uploads

function stagedFile(ctx: Ctx, url: string): string | null {
  const m = /^\/nar\/([A-Za-z0-9._+-]{1,200})$/.exec(url);
  return m && !(m[1] as string).startsWith(".") ? path.join(ctx.tmp, `upload-${m[1]}`) : null;
}

function authorized(ctx: Ctx, req: http.IncomingMessage): boolean {
  const token = ctx.uploadToken as string;
  const h = req.headers.authorization ?? "";
  let given: string | null = null;
  if (/^Bearer /i.test(h)) given = h.slice(7).trim();
  else if (/^Basic /i.test(h)) {
    const decoded = Buffer.from(h.slice(6).trim(), "base64").toString("utf8");
    given = decoded.slice(decoded.indexOf(":") + 1);
  }
  if (given === null) return false;
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(token).digest();
  return timingSafeEqual(a, b);
}

async function upload(ctx: Ctx, url: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (!ctx.uploadToken) return drop(req, res, 403, "this cache is read-only; start 'eka store serve' with --upload-token TOKEN to accept uploads\n");
  if (!authorized(ctx, req)) {
    res.setHeader("WWW-Authenticate", 'Bearer realm="eka", Basic realm="eka"');
    return drop(req, res, 401, "uploading needs 'Authorization: Bearer TOKEN' with the server's upload token\n");
  }
  if (url === "/nix-cache-info") return drop(req, res, 204, "");
  const staged = stagedFile(ctx, url);
  if (staged) {
    const part = `${staged}.${++ctx.staged}.part`;
    const out = fs.createWriteStream(part);
    try {
      await new Promise<void>((resolve, reject) => {
        req.once("aborted", () => reject(new Error("upload aborted")));
        req.once("error", reject);
        out.once("error", reject);
        out.once("finish", resolve);
        req.pipe(out);
      });
      if (!req.complete) throw new Error("upload aborted");
      fs.renameSync(part, staged);
    } catch (e) {
      out.destroy();
      fs.rmSync(part, { force: true });
      if (!res.destroyed) reply(res, 400, `${(e as Error).message}\n`);
      return;
    }
    return reply(res, 201, "");
  }
  const ni = NARINFO_RE.exec(url);
  if (!ni) return drop(req, res, 404, "uploads go to /nar/FILE and /HASH.narinfo\n");
  const body = Buffer.concat(await readAll(req)).toString("utf8");
  try {
    const n = parseNarinfo(body, url.slice(1));
    const { hashPart } = parseStorePath(n.storePath);
    if (hashPart !== ni[1]) throw new EkaError("E_BAD_NARINFO", `${url.slice(1)} describes ${n.storePath}, whose hash part is not ${ni[1]}`);
    if (ctx.store.has(n.storePath)) return reply(res, 200, "");
    const file = stagedFile(ctx, `/${n.url}`);
    if (!file || !fs.existsSync(file)) throw new EkaError("E_NOT_IN_CACHE", `${url.slice(1)} names ${n.url}, which was not uploaded first; PUT the NAR, then its narinfo`);
    const where = `uploaded ${n.url}`;
    await importNar(ctx.store, decompressed(file, n.compression, where), {
      storePath: n.storePath,
      references: n.references,
      narHash: n.narHash,
      narSize: n.narSize,
      signatures: n.signatures,
      ...(n.deriver ? { deriver: n.deriver } : {}),
    }, { where });
    fs.rmSync(file, { force: true });
    ctx.byHash.set(hashPart, n.storePath);
    return reply(res, 201, "");
  } catch (e) {
    if (isEkaError(e)) return reply(res, 400, `error[${e.code}]: ${e.message}\n`);
    throw e;
  }
}

function decompressed(file: string, compression: string, where: string): AsyncIterable<Uint8Array> {
  const raw = fs.createReadStream(file);
  if (compression === "none" || compression === "") return raw;
  if (compression === "xz") {
    const { XzReadableStream } = xz as unknown as typeof import("xz-decompress");
    return new XzReadableStream(Readable.toWeb(raw) as unknown as ReadableStream<Uint8Array>) as unknown as AsyncIterable<Uint8Array>;
  }
  if (compression === "zstd" && spawnSync("zstd", ["--version"], { stdio: "ignore" }).status === 0) {
    const child = spawn("zstd", ["-d", "-c", "-q"], { stdio: ["pipe", "pipe", "ignore"] });
    raw.pipe(child.stdin);
    return child.stdout;
  }
  raw.destroy();
  throw new EkaError("E_UNSUPPORTED_COMPRESSION", `${where} is compressed with '${compression}'; this server takes none, xz or zstd (nix copy --to 'http://…?compression=xz')`);
}

async function readAll(req: http.IncomingMessage): Promise<Buffer[]> {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c as Buffer);
  return parts;
}

function drop(req: http.IncomingMessage, res: http.ServerResponse, status: number, body: string): void {
  req.resume();
  reply(res, status, body);
}

function reply(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}
