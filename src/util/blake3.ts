/**
 * BLAKE3, shared by runtime/ (module cache keys) and store/ (digests), which may not import each
 * other. The implementation is chosen by measurement (bench/blake3.bench.ts): inputs of 16 KiB
 * and more, and streams past 64 KiB, go through a WebAssembly SIMD kernel built below, which
 * hashes four chunks (or four parent nodes) at once; smaller inputs use hash-wasm, which has
 * less per-call cost, as does everything where WebAssembly SIMD is missing. Both need a
 * one-time async init; after `await initBlake3()` every call is synchronous.
 */
import { createBLAKE3, type IHasher } from "hash-wasm";

let hasher: IHasher | undefined;
let simd: SimdHasher | null | undefined;

/** Below this size one hash-wasm call beats the kernel's fixed costs. */
const SIMD_MIN_BYTES = 16 * 1024;

export async function initBlake3(): Promise<void> {
  hasher ??= await createBLAKE3(256);
}

/**
 * The SIMD kernel, made on first use rather than in initBlake3() so processes that only hash
 * small things don't pay for it. Compiling synchronously is refused on a browser's main thread;
 * there the first large inputs use hash-wasm while the kernel compiles in the background.
 */
function kernel(): SimdHasher | null {
  if (simd !== undefined) return simd;
  try {
    simd = makeSimdHasher(new WebAssembly.Module(buildKernel() as BufferSource));
  } catch {
    simd = null;
    if (typeof WebAssembly === "object" && typeof WebAssembly.compile === "function") {
      WebAssembly.compile(buildKernel() as BufferSource).then((m) => (simd = makeSimdHasher(m)), () => undefined);
    }
  }
  return simd;
}

/** Which implementation large inputs use: "simd" (the kernel below) or "hash-wasm" (no SIMD). */
export function blake3Implementation(): "simd" | "hash-wasm" {
  return kernel() ? "simd" : "hash-wasm";
}

/** Incremental hasher; call update() any number of times, then digest() once. */
export interface Blake3Stream {
  update(data: Uint8Array): Blake3Stream;
  digest(): Uint8Array;
}

export function blake3Stream(): Blake3Stream {
  if (!hasher) throw new Error("initBlake3() must be awaited before hashing");
  const k = kernel();
  if (k) return simdStream(k);
  // One shared hasher: each stream keeps its own saved state and loads it around every call,
  // so streams may interleave.
  const h = hasher;
  h.init();
  let saved = h.save();
  return {
    update(data) {
      h.load(saved);
      h.update(data);
      saved = h.save();
      return this;
    },
    digest() {
      h.load(saved);
      return h.digest("binary");
    },
  };
}

export function blake3(data: Uint8Array): Uint8Array {
  if (!hasher) throw new Error("initBlake3() must be awaited before hashing");
  if (data.length >= SIMD_MIN_BYTES) {
    const k = kernel();
    if (k) return k.hash(data);
  }
  hasher.init();
  hasher.update(data);
  return hasher.digest("binary");
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i] as number];
  return s;
}

// ---- the SIMD kernel ----

const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
const MSG_PERM = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8];
const CHUNK_START = 1;
const CHUNK_END = 2;
const PARENT = 4;
const ROOT = 8;

type Many = (inPtr: number, counter: number, out: number, groups: number, stride: number, blocks: number, flags: number, counterStep: number, chunkFlags: number) => void;

interface SimdHasher {
  hash(data: Uint8Array): Uint8Array;
  /** Chaining value of the 64-chunk subtree `window` (64 KiB) whose first chunk is `counter`. */
  subtree(window: Uint8Array, counter: number): number[];
  /** Chaining values of the whole chunks in `data` (at most 64 KiB), the first being `counter`. */
  chunkCvs(data: Uint8Array, counter: number): number[][];
}

/** Window of input the kernel takes per call; streams push one 64-chunk subtree per window. */
const WINDOW = 64 * 1024;

function makeSimdHasher(module: WebAssembly.Module): SimdHasher {
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
function simdStream(k: SimdHasher): Blake3Stream {
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
      if (chunks === 0) return blake3(buf.subarray(0, fill));
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

function g(a: number, b: number, c: number, d: number, x: number, y: number): void {
  const v = state;
  let va = v[a] as number, vb = v[b] as number, vc = v[c] as number, vd = v[d] as number;
  va = (va + vb + x) | 0;
  vd ^= va;
  vd = (vd >>> 16) | (vd << 16);
  vc = (vc + vd) | 0;
  vb ^= vc;
  vb = (vb >>> 12) | (vb << 20);
  va = (va + vb + y) | 0;
  vd ^= va;
  vd = (vd >>> 8) | (vd << 24);
  vc = (vc + vd) | 0;
  vb ^= vc;
  vb = (vb >>> 7) | (vb << 25);
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

/**
 * Emits the module: one function `many(in, counter, out, groups, stride, blocks, flags, step,
 * chunkFlags)` that, per group, compresses four inputs side by side (input j at in + j*stride,
 * `blocks` blocks of 64 bytes, counter + j*step), one SIMD lane each, and stores their four
 * chaining values at out. Rounds and message schedule are unrolled at build time.
 */
function buildKernel(): Uint8Array {
  const uleb = (n: number) => {
    const o: number[] = [];
    do {
      let b = n & 0x7f;
      n >>>= 7;
      if (n) b |= 0x80;
      o.push(b);
    } while (n);
    return o;
  };
  const sleb = (n: number) => {
    const o: number[] = [];
    for (;;) {
      const b = n & 0x7f;
      n >>= 7;
      if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) return [...o, b];
      o.push(b | 0x80);
    }
  };
  const simdOp = (op: number) => [0xfd, ...uleb(op)];
  const get = (i: number) => [0x20, ...uleb(i)];
  const set = (i: number) => [0x21, ...uleb(i)];
  const tee = (i: number) => [0x22, ...uleb(i)];
  const i32 = (v: number) => [0x41, ...sleb(v | 0)];
  const [i32add, i32sub, i32mul, i32and, i32or, i32eq, i32ne, i32eqz, select] = [[0x6a], [0x6b], [0x6c], [0x71], [0x72], [0x46], [0x47], [0x45], [0x1b]];
  const load = (off: number) => [...simdOp(0), 4, ...uleb(off)];
  const store = (off: number) => [...simdOp(11), 4, ...uleb(off)];
  const shuffle = (lanes: number[]) => [...simdOp(13), ...lanes];
  const [splat, vadd, vmul, vxor, vor, vshl, vshr] = [simdOp(17), simdOp(174), simdOp(181), simdOp(81), simdOp(80), simdOp(171), simdOp(173)];
  const vconst = (w: number[]) => [...simdOp(12), ...w.flatMap((x) => [x & 255, (x >>> 8) & 255, (x >>> 16) & 255, (x >>> 24) & 255])];
  const [block, loop, end] = [[0x02, 0x40], [0x03, 0x40], [0x0b]];
  const brIf = (d: number) => [0x0d, ...uleb(d)];
  const br = (d: number) => [0x0c, ...uleb(d)];
  const lanes = (a: number, b: number, c: number, d: number) => [a, b, c, d].flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]);
  const rotBytes = (k: number) => Array.from({ length: 16 }, (_, i) => 4 * (i >> 2) + (((i & 3) + k) % 4));

  // Params 0-8; i32 locals 9-11; v128 locals: cv 12-19, state 20-35, message 36-51, temp 52-55.
  const [IN, CTR, OUT, GROUPS, STRIDE, BLOCKS, FLAGS, STEP, CHUNKFLAGS, B, F, P] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const [CV, V, M, T] = [12, 20, 36, 52];
  const c: number[] = [];
  const e = (...xs: number[][]) => {
    for (const x of xs) for (let i = 0; i < x.length; i++) c.push(x[i] as number);
  };
  e(block, loop, get(GROUPS), i32eqz, brIf(1));
  for (let i = 0; i < 8; i++) e(i32(IV[i] as number), splat, set(CV + i));
  e(i32(0), set(B), get(IN), set(P), block, loop);
  // flags = FLAGS | (((b == 0 ? START : 0) | (b == blocks-1 ? END : 0)) & CHUNKFLAGS)
  e(i32(CHUNK_START), i32(0), get(B), i32eqz, select);
  e(i32(CHUNK_END), i32(0), get(B), get(BLOCKS), i32(1), i32sub, i32eq, select, i32or);
  e(get(CHUNKFLAGS), i32and, get(FLAGS), i32or, set(F));
  // Load the four inputs' block and transpose so M+w holds word w of every input.
  for (let q = 0; q < 4; q++) {
    const row = (j: number) => [...get(P), ...(j ? [...get(STRIDE), ...i32(j), ...i32mul, ...i32add] : []), ...load(16 * q)];
    e(row(0), row(1), shuffle(lanes(0, 4, 1, 5)), set(T));
    e(row(0), row(1), shuffle(lanes(2, 6, 3, 7)), set(T + 1));
    e(row(2), row(3), shuffle(lanes(0, 4, 1, 5)), set(T + 2));
    e(row(2), row(3), shuffle(lanes(2, 6, 3, 7)), set(T + 3));
    e(get(T), get(T + 2), shuffle(lanes(0, 1, 4, 5)), set(M + 4 * q));
    e(get(T), get(T + 2), shuffle(lanes(2, 3, 6, 7)), set(M + 4 * q + 1));
    e(get(T + 1), get(T + 3), shuffle(lanes(0, 1, 4, 5)), set(M + 4 * q + 2));
    e(get(T + 1), get(T + 3), shuffle(lanes(2, 3, 6, 7)), set(M + 4 * q + 3));
  }
  for (let i = 0; i < 8; i++) e(get(CV + i), set(V + i));
  for (let i = 0; i < 4; i++) e(i32(IV[i] as number), splat, set(V + 8 + i));
  e(get(CTR), splat, get(STEP), splat, vconst([0, 1, 2, 3]), vmul, vadd, set(V + 12));
  e(i32(0), splat, set(V + 13), i32(64), splat, set(V + 14), get(F), splat, set(V + 15));
  const G = (a: number, b: number, cc: number, d: number, mx: number, my: number) => {
    [a, b, cc, d] = [V + a, V + b, V + cc, V + d];
    e(get(a), get(b), vadd, get(M + mx), vadd, tee(a), get(d), vxor, tee(d), get(d), shuffle(rotBytes(2)), tee(d));
    e(get(cc), vadd, tee(cc), get(b), vxor, tee(b), i32(12), vshr, get(b), i32(20), vshl, vor, tee(b));
    e(get(a), vadd, get(M + my), vadd, tee(a), get(d), vxor, tee(d), get(d), shuffle(rotBytes(1)), tee(d));
    e(get(cc), vadd, tee(cc), get(b), vxor, tee(b), i32(7), vshr, get(b), i32(25), vshl, vor, set(b));
  };
  let s = Array.from({ length: 16 }, (_, i) => i);
  for (let r = 0; r < 7; r++) {
    const m = s;
    const w = (i: number) => m[i] as number;
    G(0, 4, 8, 12, w(0), w(1));
    G(1, 5, 9, 13, w(2), w(3));
    G(2, 6, 10, 14, w(4), w(5));
    G(3, 7, 11, 15, w(6), w(7));
    G(0, 5, 10, 15, w(8), w(9));
    G(1, 6, 11, 12, w(10), w(11));
    G(2, 7, 8, 13, w(12), w(13));
    G(3, 4, 9, 14, w(14), w(15));
    s = MSG_PERM.map((i) => m[i] as number);
  }
  for (let i = 0; i < 8; i++) e(get(V + i), get(V + 8 + i), vxor, set(CV + i));
  e(get(P), i32(64), i32add, set(P), get(B), i32(1), i32add, tee(B), get(BLOCKS), i32ne, brIf(0), end, end);
  // Transpose the chaining values back, one 32-byte CV per input.
  for (let h = 0; h < 2; h++) {
    const a = CV + 4 * h;
    e(get(a), get(a + 1), shuffle(lanes(0, 4, 1, 5)), set(T));
    e(get(a), get(a + 1), shuffle(lanes(2, 6, 3, 7)), set(T + 1));
    e(get(a + 2), get(a + 3), shuffle(lanes(0, 4, 1, 5)), set(T + 2));
    e(get(a + 2), get(a + 3), shuffle(lanes(2, 6, 3, 7)), set(T + 3));
    e(get(OUT), get(T), get(T + 2), shuffle(lanes(0, 1, 4, 5)), store(16 * h));
    e(get(OUT), get(T), get(T + 2), shuffle(lanes(2, 3, 6, 7)), store(32 + 16 * h));
    e(get(OUT), get(T + 1), get(T + 3), shuffle(lanes(0, 1, 4, 5)), store(64 + 16 * h));
    e(get(OUT), get(T + 1), get(T + 3), shuffle(lanes(2, 3, 6, 7)), store(96 + 16 * h));
  }
  e(get(IN), get(STRIDE), i32(4), i32mul, i32add, set(IN), get(OUT), i32(128), i32add, set(OUT));
  e(get(CTR), get(STEP), i32(4), i32mul, i32add, set(CTR), get(GROUPS), i32(1), i32sub, set(GROUPS));
  e(br(0), end, end, end);
  const body = [...uleb(2), ...uleb(3), 0x7f, ...uleb(44), 0x7b, ...c];
  const section = (id: number, bytes: number[]) => [id, ...uleb(bytes.length), ...bytes];
  const name = (s: string) => [s.length, ...[...s].map((ch) => ch.charCodeAt(0))];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [1, 0x60, 9, ...new Array<number>(9).fill(0x7f), 0]),
    ...section(2, [1, ...name("e"), ...name("mem"), 2, 0, 1]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...name("many"), 0, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
}
