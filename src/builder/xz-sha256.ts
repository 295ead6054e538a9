// The .xz decoder eka uses (xz-decompress: xz-embedded as WebAssembly) knows the CRC32 and CRC64
// integrity checks but not SHA-256, which xz-utils' own release tarballs use. A SHA-256 stream is
// rewritten here, container only, into the same blocks with no check (the LZMA2 data untouched),
// and each block's SHA-256 is verified against what it decodes to. Format: the .xz file format
// 1.1.0 (tukaani.org), sections 2 (stream), 3 (block) and 4 (index).
import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes } from "../util/bytes.ts";

const MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const CHECK_SHA256 = 0x0a;
const SHA256_SIZE = 32;

/** One block: its uncompressed size and the SHA-256 it must decode to. */
interface BlockCheck {
  size: number;
  sha: Uint8Array;
}

/**
 * For a stream whose check is SHA-256: the same stream without checks, and a function that throws
 * unless `out` (what that decodes to) matches every block's SHA-256. Other streams: null.
 */
export function stripSha256(xz: Uint8Array): { stream: Uint8Array; verify: (out: Uint8Array) => void } | null {
  if (xz.length < 24 || !MAGIC.every((b, i) => xz[i] === b) || xz[7] !== CHECK_SHA256) return null;
  // Streams are decoded from the end (the footer says where the index is), so split them first.
  const streams: [number, number][] = [];
  let end = xz.length;
  while (end > 0) {
    while (end >= 4 && xz[end - 1] === 0 && xz[end - 2] === 0 && xz[end - 3] === 0 && xz[end - 4] === 0) end -= 4; // stream padding
    if (end === 0) break;
    const footer = end - 12;
    if (footer < 12 || xz[end - 2] !== 0x59 || xz[end - 1] !== 0x5a) throw new Error("not an .xz stream footer");
    const indexSize = (u32(xz, footer + 4) + 1) * 4;
    const index = footer - indexSize;
    const records = readIndex(xz, index, indexSize);
    const blocksSize = records.reduce((n, r) => n + pad4(r.unpadded), 0);
    const start = index - blocksSize - 12;
    if (start < 0) throw new Error("the .xz index does not fit the stream");
    streams.unshift([start, end]);
    end = start;
  }
  const parts: Uint8Array[] = [];
  const checks: BlockCheck[] = [];
  for (const [start, stop] of streams) {
    if (xz[start + 7] !== CHECK_SHA256) throw new Error("mixed integrity checks across .xz streams");
    parts.push(rewrite(xz.subarray(start, stop), checks));
  }
  const stream = concatBytes(parts);
  return {
    stream,
    verify(out) {
      let at = 0;
      for (const [i, c] of checks.entries()) {
        const got = sha256(out.subarray(at, at + c.size));
        if (!got.every((b, j) => b === c.sha[j])) throw new Error(`block ${i} of the .xz stream fails its SHA-256 check`);
        at += c.size;
      }
      if (at !== out.length) throw new Error("the .xz stream decodes to more than its index lists");
    },
  };
}

/** One stream (header … footer, no padding) rewritten with check type None; appends its blocks' checks. */
function rewrite(s: Uint8Array, checks: BlockCheck[]): Uint8Array {
  const footer = s.length - 12;
  const indexSize = (u32(s, footer + 4) + 1) * 4;
  const records = readIndex(s, footer - indexSize, indexSize);
  const out: Uint8Array[] = [streamHeader()];
  let at = 12;
  for (const r of records) {
    const body = pad4(r.unpadded - SHA256_SIZE);
    out.push(s.subarray(at, at + body));
    checks.push({ size: r.uncompressed, sha: s.slice(at + body, at + body + SHA256_SIZE) });
    at += body + SHA256_SIZE;
  }
  const index = writeIndex(records.map((r) => ({ unpadded: r.unpadded - SHA256_SIZE, uncompressed: r.uncompressed })));
  out.push(index, streamFooter(index.length));
  return concatBytes(out);
}

interface Record {
  unpadded: number;
  uncompressed: number;
}

function readIndex(b: Uint8Array, at: number, size: number): Record[] {
  if (b[at] !== 0) throw new Error("not an .xz index");
  let p = at + 1;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 9; i++) {
      const byte = b[p++] as number;
      v += (byte & 0x7f) * mul;
      if (!(byte & 0x80)) return v;
      mul *= 128;
    }
    throw new Error("bad .xz varint");
  };
  const n = varint();
  const records: Record[] = [];
  for (let i = 0; i < n; i++) records.push({ unpadded: varint(), uncompressed: varint() });
  if (crc32(b.subarray(at, at + size - 4)) !== u32(b, at + size - 4)) throw new Error("the .xz index fails its CRC32");
  return records;
}

function writeIndex(records: Record[]): Uint8Array {
  const bytes: number[] = [0];
  const varint = (v: number) => {
    while (v >= 0x80) {
      bytes.push((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    bytes.push(v);
  };
  varint(records.length);
  for (const r of records) {
    varint(r.unpadded);
    varint(r.uncompressed);
  }
  while (bytes.length % 4) bytes.push(0);
  const body = new Uint8Array(bytes);
  return concatBytes([body, le32(crc32(body))]);
}

// Stream flags: 0x00 then the check type (0 = None).
function streamHeader(): Uint8Array {
  const flags = new Uint8Array([0, 0]);
  return concatBytes([new Uint8Array(MAGIC), flags, le32(crc32(flags))]);
}

function streamFooter(indexSize: number): Uint8Array {
  const rest = concatBytes([le32(indexSize / 4 - 1), new Uint8Array([0, 0])]);
  return concatBytes([le32(crc32(rest)), rest, new Uint8Array([0x59, 0x5a])]);
}

const pad4 = (n: number) => (n + 3) & ~3;
const u32 = (b: Uint8Array, at: number) => ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16) | ((b[at + 3] as number) << 24)) >>> 0;
const le32 = (v: number) => new Uint8Array([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]);

let table: Uint32Array | undefined;
function crc32(b: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const byte of b) c = (table[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
