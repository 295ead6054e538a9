/**
 * Exact reads from a chunked byte source (a NAR, an export stream), counting every byte it
 * consumes. Subclasses say how a malformed input is reported (`fail`) and may watch each
 * consumed chunk (`consumed`), e.g. to hash it.
 */
export abstract class ChunkReader {
  /** Bytes consumed so far. */
  offset = 0;
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private done = false;
  private readonly it: AsyncIterator<Uint8Array> | Iterator<Uint8Array>;

  constructor(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>) {
    this.it = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  }

  abstract fail(why: string): never;

  /** What `fail` is told when the source ends early. */
  protected truncated = "it is truncated";

  protected consumed(_chunk: Uint8Array): void {}

  async atEnd(): Promise<boolean> {
    return !(await this.fill());
  }

  /** Up to `max` bytes (at least 1), or fails as truncated. */
  protected async some(max: number): Promise<Uint8Array> {
    if (!(await this.fill())) this.fail(this.truncated);
    const n = Math.min(max, this.buf.length - this.pos);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    this.offset += n;
    this.consumed(out);
    return out;
  }

  async exact(n: number): Promise<Uint8Array> {
    const first = await this.some(n);
    if (first.length === n) return first;
    const out = new Uint8Array(n);
    out.set(first);
    let o = first.length;
    while (o < n) {
      const part = await this.some(n - o);
      out.set(part, o);
      o += part.length;
    }
    return out;
  }

  /** A little-endian u64 that must fit a JavaScript number. */
  async u64(): Promise<number> {
    const b = await this.exact(8);
    const v = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`length ${v} is too large`);
    return Number(v);
  }

  /** The next `n` bytes as a stream of pieces of at most `piece` bytes. */
  async *take(n: number, piece = 1 << 20): AsyncGenerator<Uint8Array> {
    let left = n;
    while (left > 0) {
      const part = await this.some(Math.min(left, piece));
      left -= part.length;
      yield part;
    }
  }

  private async fill(): Promise<boolean> {
    while (this.pos >= this.buf.length) {
      if (this.done) return false;
      const next = await this.it.next();
      if (next.done) {
        this.done = true;
        return false;
      }
      this.buf = next.value;
      this.pos = 0;
    }
    return true;
  }
}
