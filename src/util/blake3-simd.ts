/**
 * BLAKE3 over the WebAssembly SIMD kernel (assembled in blake3-kernel.ts): one-shot hashes and
 * streams, with the tree's few odd nodes (partial chunks, unpaired parents) done by a scalar
 * compression here. The spec's constants live here too; the assembler takes them from this file.
 */
import type { Blake3Stream } from "./blake3.ts";

export const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
export const MSG_PERM = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8];
export const CHUNK_START = 1;
export const CHUNK_END = 2;
const PARENT = 4;
const ROOT = 8;

type Many = (inPtr: number, counter: number, out: number, groups: number, stride: number, blocks: number, flags: number, counterStep: number, chunkFlags: number) => void;

export interface SimdHasher {
  hash(data: Uint8Array): Uint8Array;
  /** Chaining value of the 64-chunk subtree `window` (64 KiB) whose first chunk is `counter`. */
  subtree(window: Uint8Array, counter: number): number[];
  /** Chaining values of the whole chunks in `data` (at most 64 KiB), the first being `counter`. */
  chunkCvs(data: Uint8Array, counter: number): number[][];
}

/** Window of input the kernel takes per call; streams push one 64-chunk subtree per window. */
const WINDOW = 64 * 1024;

export function makeSimdHasher(module: WebAssembly.Module): SimdHasher {
  const memory = new WebAssembly.Memory({ initial: 2 });
  const instance = new WebAssembly.Instance(module, { e: { mem: memory } });
  const many = instance.exports.many as Many;
  const IN = 0;
  const CVS = WINDOW;
  const room = (chunks: number) => {
    const need = CVS + chunks * 32 + 256;
    if (need > memory.buffer.byteLength) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
  };
  /** Pairwise reduction of `count` CVs at CVS down to `stop`; an odd last node is carried up, which gives BLAKE3's left-balanced tree. */
  const reduce = (count: number, stop: number) => {
    const mem = new Uint8Array(memory.buffer);
    const view = new DataView(memory.buffer);
    while (count > stop) {
      const pairs = count >> 1;
      const g = pairs >> 2;
      if (g) many(CVS, 0, CVS, g, 64, 1, PARENT, 0, 0);
      for (let p = g * 4; p < pairs; p++) mem.set(cvBytes(compress(IV, readWords(view, CVS + 64 * p), 0, 64, PARENT)), CVS + 32 * p);
      if (count & 1) mem.copyWithin(CVS + 32 * pairs, CVS + 32 * (count - 1), CVS + 32 * count);
      count = pairs + (count & 1);
    }
  };

  return {
    hash(data) {
      const len = data.length;
      if (len <= 1024) return cvBytes(chunkCv(data, 0, len, 0, true));
      const chunks = Math.ceil(len / 1024);
      room(chunks);
      const mem = new Uint8Array(memory.buffer);
      // Chaining values of whole groups of four full chunks, a window at a time.
      const groups = Math.floor(Math.floor(len / 1024) / 4);
      for (let done = 0; done < groups; ) {
        const g = Math.min(groups - done, WINDOW / 4096);
        mem.set(data.subarray(done * 4096, (done + g) * 4096), IN);
        many(IN, done * 4, CVS + done * 128, g, 1024, 16, 0, 1, CHUNK_START | CHUNK_END);
        done += g;
      }
      for (let ch = groups * 4; ch < chunks; ch++) {
        const off = ch * 1024;
        mem.set(cvBytes(chunkCv(data, off, Math.min(1024, len - off), ch, false)), CVS + ch * 32);
      }
      reduce(chunks, 2);
      return cvBytes(compress(IV, readWords(new DataView(memory.buffer), CVS), 0, 64, PARENT | ROOT));
    },
    subtree(window, counter) {
      room(64);
      new Uint8Array(memory.buffer).set(window, IN);
      many(IN, counter, CVS, 16, 1024, 16, 0, 1, CHUNK_START | CHUNK_END);
      reduce(64, 2);
      return compress(IV, readWords(new DataView(memory.buffer), CVS), 0, 64, PARENT);
    },
    chunkCvs(data, counter) {
      const n = data.length >> 10;
      room(64);
      new Uint8Array(memory.buffer).set(data, IN);
      const g = n >> 2;
      if (g) many(IN, counter, CVS, g, 1024, 16, 0, 1, CHUNK_START | CHUNK_END);
      const view = new DataView(memory.buffer);
      const out: number[][] = [];
      for (let i = 0; i < 4 * g; i++) out.push(readWords(view, CVS + 32 * i).slice(0, 8));
      for (let i = 4 * g; i < n; i++) out.push(chunkCv(data, i * 1024, 1024, counter + i, false));
      return out;
    },
  };
}

/**
 * A stream over the kernel: input is gathered into 64 KiB windows; a window is hashed as one
 * subtree only once more input follows it (so it is never the root), and subtree CVs sit on a
 * stack merged by BLAKE3's rule (as many entries as set bits in the chunk count).
 */
export function simdStream(k: SimdHasher): Blake3Stream {
  const buf = new Uint8Array(WINDOW);
  let fill = 0;
  let chunks = 0;
  const stack: number[][] = [];
  const merge = (first: number) => {
    while (stack.length > popcount(first)) {
      const right = stack.pop() as number[];
      stack.push(compress(IV, [...(stack.pop() as number[]), ...right], 0, 64, PARENT));
    }
  };
  return {
    update(data) {
      let off = 0;
      while (off < data.length) {
        if (fill === WINDOW) {
          merge(chunks);
          stack.push(k.subtree(buf, chunks));
          chunks += 64;
          fill = 0;
        }
        if (fill === 0 && data.length - off > WINDOW) {
          // A whole window with more input after it: hash it in place, without buffering.
          merge(chunks);
          stack.push(k.subtree(data.subarray(off, off + WINDOW), chunks));
          chunks += 64;
          off += WINDOW;
          continue;
        }
        const n = Math.min(WINDOW - fill, data.length - off);
        buf.set(data.subarray(off, off + n), fill);
        fill += n;
        off += n;
      }
      return this;
    },
    digest() {
      if (chunks === 0) return k.hash(buf.subarray(0, fill));
      const whole = Math.ceil(fill / 1024) - 1;
      k.chunkCvs(buf.subarray(0, whole * 1024), chunks).forEach((cv, i) => {
        merge(chunks + i);
        stack.push(cv);
      });
      const last = chunks + whole;
      let right = chunkCv(buf, whole * 1024, fill - whole * 1024, last, false);
      merge(last);
      while (stack.length > 1) right = compress(IV, [...(stack.pop() as number[]), ...right], 0, 64, PARENT);
      return cvBytes(compress(IV, [...(stack.pop() as number[]), ...right], 0, 64, PARENT | ROOT));
    },
  };
}

function popcount(n: number): number {
  let c = 0;
  for (; n; n = Math.floor(n / 2)) c += n & 1;
  return c;
}

function readWords(view: DataView, at: number): number[] {
  const m: number[] = [];
  for (let i = 0; i < 16; i++) m.push(view.getUint32(at + 4 * i, true));
  return m;
}

/** Message word order of each of the 7 rounds. */
const SCHEDULE: number[] = (() => {
  const out: number[] = [];
  let s = Array.from({ length: 16 }, (_, i) => i);
  for (let r = 0; r < 7; r++) {
    out.push(...s);
    s = MSG_PERM.map((i) => s[i] as number);
  }
  return out;
})();
const state = new Uint32Array(16);
const msg = new Uint32Array(16);

/** BLAKE3's G: two half-steps, mixing in message word x (rotations 16, 12) then y (8, 7). */
function g(a: number, b: number, c: number, d: number, x: number, y: number): void {
  half(a, b, c, d, x, 16, 12);
  half(a, b, c, d, y, 8, 7);
}

function half(a: number, b: number, c: number, d: number, m: number, r1: number, r2: number): void {
  const v = state;
  const va = ((v[a] as number) + (v[b] as number) + m) | 0;
  let vd = (v[d] as number) ^ va;
  vd = (vd >>> r1) | (vd << (32 - r1));
  const vc = ((v[c] as number) + vd) | 0;
  let vb = (v[b] as number) ^ vc;
  vb = (vb >>> r2) | (vb << (32 - r2));
  v[a] = va;
  v[b] = vb;
  v[c] = vc;
  v[d] = vd;
}

/** Scalar compression for the few nodes outside whole groups; returns the 8-word CV. */
function compress(cv: ArrayLike<number>, m: ArrayLike<number>, counter: number, blockLen: number, flags: number): number[] {
  const v = state;
  for (let i = 0; i < 8; i++) v[i] = cv[i] as number;
  v[8] = IV[0] as number;
  v[9] = IV[1] as number;
  v[10] = IV[2] as number;
  v[11] = IV[3] as number;
  v[12] = counter;
  v[13] = Math.floor(counter / 2 ** 32);
  v[14] = blockLen;
  v[15] = flags;
  for (let i = 0; i < 16; i++) msg[i] = m[i] as number;
  const w = msg;
  const S = SCHEDULE;
  for (let r = 0; r < 112; r += 16) {
    g(0, 4, 8, 12, w[S[r] as number] as number, w[S[r + 1] as number] as number);
    g(1, 5, 9, 13, w[S[r + 2] as number] as number, w[S[r + 3] as number] as number);
    g(2, 6, 10, 14, w[S[r + 4] as number] as number, w[S[r + 5] as number] as number);
    g(3, 7, 11, 15, w[S[r + 6] as number] as number, w[S[r + 7] as number] as number);
    g(0, 5, 10, 15, w[S[r + 8] as number] as number, w[S[r + 9] as number] as number);
    g(1, 6, 11, 12, w[S[r + 10] as number] as number, w[S[r + 11] as number] as number);
    g(2, 7, 8, 13, w[S[r + 12] as number] as number, w[S[r + 13] as number] as number);
    g(3, 4, 9, 14, w[S[r + 14] as number] as number, w[S[r + 15] as number] as number);
  }
  const out = new Array<number>(8);
  for (let i = 0; i < 8; i++) out[i] = ((v[i] as number) ^ (v[i + 8] as number)) >>> 0;
  return out;
}

/** The chaining value of one chunk (its root output when `root`). */
function chunkCv(bytes: Uint8Array, off: number, len: number, counter: number, root: boolean): number[] {
  let cv = IV;
  const blocks = Math.max(1, Math.ceil(len / 64));
  for (let b = 0; b < blocks; b++) {
    const bl = Math.min(64, len - 64 * b);
    const m = new Array<number>(16).fill(0);
    for (let i = 0; i < bl; i++) m[i >> 2] = ((m[i >> 2] as number) | ((bytes[off + 64 * b + i] as number) << (8 * (i & 3)))) >>> 0;
    const flags = (b === 0 ? CHUNK_START : 0) | (b === blocks - 1 ? CHUNK_END | (root ? ROOT : 0) : 0);
    cv = compress(cv, m, counter, bl, flags);
  }
  return cv;
}

function cvBytes(cv: number[]): Uint8Array {
  const out = new Uint8Array(32);
  const view = new DataView(out.buffer);
  cv.forEach((w, i) => view.setUint32(4 * i, w, true));
  return out;
}
