// The WebAssembly SIMD kernel of util/blake3, assembled in code (no build step, so it still bundles
// for a browser).
import { CHUNK_END, CHUNK_START, IV, MSG_PERM } from "./blake3-simd.ts";

/**
 * Emits the module: one function `many(in, counter, out, groups, stride, blocks, flags, step,
 * chunkFlags)` that, per group, compresses four inputs side by side (input j at in + j*stride,
 * `blocks` blocks of 64 bytes, counter + j*step), one SIMD lane each, and stores their four
 * chaining values at out. Rounds and message schedule are unrolled at build time.
 *
 * One long function on purpose: it reads top to bottom as the emitted code runs, and every part
 * shares the local-variable layout fixed below; split up, each piece would need that layout passed in.
 */
export function buildKernel(): Uint8Array {
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
