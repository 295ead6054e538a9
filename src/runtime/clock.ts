/** Clocks and random bytes for the WASI host: real ones, and deterministic ones for builds. */
import { wallClockNs } from "./memfs.ts";

export interface Clock {
  readonly resolution: bigint;
  realtime(): bigint;
  monotonic(): bigint;
  /** Blocks (or, for a virtual clock, advances) until monotonic() ≥ t. */
  sleepUntil(t: bigint): void;
}

// Node's hrtime is a fast nanosecond clock; found on the global (no node: import) so the core
// still bundles for browsers, which fall back to performance.now().
const hrtime = (globalThis as { process?: { hrtime?: { bigint?: () => bigint } } }).process?.hrtime?.bigint;

export class RealClock implements Clock {
  readonly resolution = 1000n;
  realtime(): bigint {
    return wallClockNs();
  }
  monotonic(): bigint {
    return hrtime ? hrtime() : BigInt(Math.round(performance.now() * 1e6));
  }
  sleepUntil(t: bigint): void {
    for (;;) {
      const left = Number(t - this.monotonic()) / 1e6;
      if (left <= 0) return;
      if (!atomicsSleep(left)) {
        // No blocking wait here (a browser main thread): spin, the guest asked to block.
        while (this.monotonic() < t) {
          /* spin */
        }
        return;
      }
    }
  }
}

/** SOURCE_DATE_EPOCH-based time: every reading advances 1 µs, so the same run reads the same times. */
export class VirtualClock implements Clock {
  readonly resolution = 1000n;
  private ticks = 0n;
  constructor(private readonly epochNs: bigint) {}
  realtime(): bigint {
    return this.epochNs + (this.ticks += 1000n);
  }
  monotonic(): bigint {
    return (this.ticks += 1000n);
  }
  sleepUntil(t: bigint): void {
    if (t > this.ticks) this.ticks = t;
  }
}

let sleepCell: Int32Array | undefined | null;
function atomicsSleep(ms: number): boolean {
  if (sleepCell === null) return false;
  try {
    sleepCell ??= new Int32Array(new SharedArrayBuffer(4));
    Atomics.wait(sleepCell, 0, 0, ms);
    return true;
  } catch {
    sleepCell = null;
    return false;
  }
}

export function cryptoRandom(buf: Uint8Array): void {
  for (let i = 0; i < buf.length; i += 65536) crypto.getRandomValues(buf.subarray(i, i + 65536));
}

/** xoshiro128** seeded by splitmix32: not for secrets, only for reproducible guests. */
export function seededRandom(seed: number): (buf: Uint8Array) => void {
  let x = seed >>> 0;
  const split = () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  const s = [split(), split(), split(), split()] as [number, number, number, number];
  const next = () => {
    const r = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return r;
  };
  return (buf) => {
    for (let i = 0; i < buf.length; i += 4) {
      const r = next();
      for (let k = 0; k < 4 && i + k < buf.length; k++) buf[i + k] = (r >>> (8 * k)) & 0xff;
    }
  };
}

function rotl(v: number, k: number): number {
  return ((v << k) | (v >>> (32 - k))) >>> 0;
}
