/** The chunks joined into one array (the chunk itself when there is only one). */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

const batch = new Uint8Array(1 << 18);
let batchBusy = false;

/**
 * Feeds `chunks` to `update`, gathering small ones (NAR tokens) into one buffer first, since every
 * update() of a hash has a fixed cost; large chunks pass straight through. Returns the total length.
 */
export function updateBatched(update: (b: Uint8Array) => void, chunks: Iterable<Uint8Array>): number {
  const buf = batchBusy ? new Uint8Array(batch.length) : batch;
  batchBusy = true;
  let size = 0;
  let fill = 0;
  try {
    for (const c of chunks) {
      size += c.length;
      if (c.length >= 16384) {
        if (fill) update(buf.subarray(0, fill));
        fill = 0;
        update(c);
        continue;
      }
      if (fill + c.length > buf.length) {
        update(buf.subarray(0, fill));
        fill = 0;
      }
      buf.set(c, fill);
      fill += c.length;
    }
    if (fill) update(buf.subarray(0, fill));
  } finally {
    if (buf === batch) batchBusy = false;
  }
  return size;
}
