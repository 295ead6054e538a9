/**
 * NAR, Nix's archive format, written and read byte-for-byte as Nix does: every string is a u64
 * little-endian length, the bytes, and zero padding to a multiple of 8; the archive is
 * "nix-archive-1" then one node "(" type … ")", with directory entries in byte order of name.
 */
import { EkaError } from "../errors.ts";
import { ChunkReader } from "./chunk-reader.ts";
import { compareNames } from "./directory.ts";
import { nixbase32Encode } from "./nixbase32.ts";
import { sha256Chunks, sha256Stream } from "./sha256.ts";
import type { TreeReader } from "./types.ts";

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder("utf-8", { fatal: true });
const MAGIC = "nix-archive-1";
/** Longest string other than file contents we accept (names, link targets, tokens). */
const MAX_STRING = 65536;

function str(s: string | Uint8Array): Uint8Array {
  const bytes = typeof s === "string" ? utf8.encode(s) : s;
  const padded = (bytes.length + 7) & ~7;
  const out = new Uint8Array(8 + padded);
  new DataView(out.buffer).setBigUint64(0, BigInt(bytes.length), true);
  out.set(bytes, 8);
  return out;
}

function u64(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  return out;
}

const T = Object.fromEntries(
  ["(", ")", "type", "regular", "executable", "", "contents", "symlink", "target", "directory", "entry", "name", "node", MAGIC].map((s) => [s, str(s)]),
) as Record<string, Uint8Array>;
const tok = (s: string) => T[s] as Uint8Array;
const ENTRY_START = new Uint8Array([...tok("entry"), ...tok("("), ...tok("name")]);
const ZEROS = new Uint8Array(8);

/**
 * NAR of `path` in `tree`, as a sequence of chunks (file contents are passed through whole): the
 * one NAR writer, for host trees, memory trees and store objects (Store.dump) alike.
 */
export function* narDump(tree: TreeReader, path = ""): Generator<Uint8Array> {
  yield tok(MAGIC);
  yield* dumpNode(tree, path);
}

function* dumpNode(tree: TreeReader, path: string): Generator<Uint8Array> {
  const st = tree.stat(path);
  if (!st) throw new EkaError("E_NOT_FOUND", `cannot serialise '${path}': it does not exist`);
  yield tok("(");
  yield tok("type");
  if (st.kind === "file") {
    yield tok("regular");
    if (st.executable) {
      yield tok("executable");
      yield tok("");
    }
    yield tok("contents");
    const size = tree.readChunks ? yield* streamContents(tree.readChunks(path), path, st.size) : yield* wholeContents(tree.readFile(path));
    const pad = (8 - (size % 8)) % 8;
    if (pad) yield ZEROS.subarray(0, pad);
  } else if (st.kind === "symlink") {
    yield tok("symlink");
    yield tok("target");
    yield str(tree.readlink(path));
  } else {
    yield tok("directory");
    const names = tree.readdir(path).sort(compareNames);
    for (const name of names) {
      yield ENTRY_START;
      yield str(name);
      yield tok("node");
      yield* dumpNode(tree, path === "" ? name : `${path}/${name}`);
      yield tok(")");
    }
  }
  yield tok(")");
}

function* wholeContents(bytes: Uint8Array): Generator<Uint8Array, number> {
  yield u64(bytes.length);
  yield bytes;
  return bytes.length;
}

/**
 * A file's contents chunk by chunk, so a file of any size costs one chunk of memory. The length
 * comes first, from stat, so a file that changes size while it is read is refused, not mis-framed.
 */
function* streamContents(chunks: Iterable<Uint8Array>, path: string, size: number): Generator<Uint8Array, number> {
  yield u64(size);
  let got = 0;
  for (const c of chunks) {
    got += c.length;
    if (got > size) break;
    yield c;
  }
  if (got !== size) throw new EkaError("E_SOURCE", `'${path}' changed size while it was read (${size} bytes, then ${got > size ? "more" : got}); read it again once it no longer changes`);
  return size;
}

/** SHA-256 (as Nix writes it, `sha256:<nixbase32>`) and size of a NAR given as chunks. */
export function narHashOf(chunks: Iterable<Uint8Array>): { narHash: string; narSize: number } {
  const { digest, size } = sha256Chunks(chunks);
  return { narHash: `sha256:${nixbase32Encode(digest)}`, narSize: size };
}

/** Receives a NAR's contents as it is parsed. Paths are relative, "" is the root. */
export interface NarSink {
  directory(path: string): void | Promise<void>;
  /** `contents` must be read to the end before returning. */
  file(path: string, executable: boolean, size: number, contents: AsyncIterable<Uint8Array>): void | Promise<void>;
  symlink(path: string, target: string): void | Promise<void>;
}

/**
 * Parses a NAR from `source`, calling `sink` as it goes, and checks it strictly (magic, tokens,
 * zero padding, sorted unique entry names, nothing after the end). Returns its hash and size.
 * Errors are E_BAD_NAR naming the byte offset; `where` names the input.
 */
export async function narParse(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, sink: NarSink, where = "NAR"): Promise<{ narHash: string; narSize: number }> {
  const r = new ByteReader(source, where, await sha256Stream());
  if ((await r.str()) !== MAGIC) r.fail("it does not start with 'nix-archive-1' (not a NAR)");
  await parseNode(r, sink, "");
  if (!(await r.atEnd())) r.fail("there is data after the end of the archive");
  return { narHash: `sha256:${nixbase32Encode(r.hash.digest())}`, narSize: r.offset };
}

/**
 * Directories nested deeper than this are refused: more than any host file system holds under
 * PATH_MAX (4096 bytes: 2048 one-letter levels), and below the depth where the store's recursive
 * ingest would overflow the stack.
 */
const MAX_NAR_DEPTH = 2048;

async function parseNode(r: ByteReader, sink: NarSink, path: string, depth = 0): Promise<void> {
  if (depth > MAX_NAR_DEPTH) r.fail(`directories are nested deeper than ${MAX_NAR_DEPTH} levels`);
  await r.expect("(");
  await r.expect("type");
  const type = await r.str();
  if (type === "regular") {
    let tag = await r.str();
    let executable = false;
    if (tag === "executable") {
      await r.expect("");
      executable = true;
      tag = await r.str();
    }
    if (tag !== "contents") r.fail(`expected 'contents' for file '${path}', found '${tag}'`);
    const size = await r.u64();
    await sink.file(path, executable, size, r.contents(size));
    await r.expect(")");
  } else if (type === "symlink") {
    await r.expect("target");
    const target = await r.str();
    if (target.length === 0 || target.includes("\0")) r.fail(`symlink '${path}' has an invalid target`);
    await sink.symlink(path, target);
    await r.expect(")");
  } else if (type === "directory") {
    await sink.directory(path);
    let prev: string | undefined;
    for (;;) {
      const tag = await r.str();
      if (tag === ")") break;
      if (tag !== "entry") r.fail(`expected 'entry' or ')' in directory '${path}', found '${tag}'`);
      await r.expect("(");
      await r.expect("name");
      const name = await r.str();
      if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\0")) {
        r.fail(`directory '${path}' has an entry with an invalid name '${name}'`);
      }
      if (prev !== undefined && compareNames(prev, name) >= 0) {
        r.fail(`entries of directory '${path}' are not sorted and unique ('${prev}' then '${name}')`);
      }
      prev = name;
      await r.expect("node");
      await parseNode(r, sink, path === "" ? name : `${path}/${name}`, depth + 1);
      await r.expect(")");
    }
  } else {
    r.fail(`unknown node type '${type}' at '${path}'`);
  }
}

/** The NAR grammar over a ChunkReader, hashing everything it consumes (the NAR hash). */
class ByteReader extends ChunkReader {
  protected override truncated = "the archive is truncated";

  constructor(
    source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    private readonly where: string,
    readonly hash: { update(b: Uint8Array): void; digest(): Uint8Array },
  ) {
    super(source);
  }

  fail(why: string): never {
    throw new EkaError("E_BAD_NAR", `${this.where} is not a valid NAR at byte ${this.offset}: ${why}`);
  }

  protected override consumed(chunk: Uint8Array): void {
    this.hash.update(chunk);
  }

  private async padding(len: number): Promise<void> {
    const pad = (8 - (len % 8)) % 8;
    if (pad && (await this.exact(pad)).some((b) => b !== 0)) this.fail("padding is not zero");
  }

  async str(): Promise<string> {
    const len = await this.u64();
    if (len > MAX_STRING) this.fail(`a name or token of ${len} bytes is too long`);
    const bytes = await this.exact(len);
    await this.padding(len);
    try {
      return fromUtf8.decode(bytes);
    } catch {
      return this.fail("a name or token is not UTF-8");
    }
  }

  async expect(token: string): Promise<void> {
    const got = await this.str();
    if (got !== token) this.fail(`expected '${token}', found '${got}'`);
  }

  async *contents(size: number): AsyncGenerator<Uint8Array> {
    yield* this.take(size);
    await this.padding(size);
  }
}
