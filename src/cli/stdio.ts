// Node-only: the terminal's stdin/stdout/stderr for a WASI program run by `eka run` or
// `eka wasi run`, synchronous
// because WASI calls are: output reaches the terminal or pipe as the program writes it.
import { readSync, writeSync } from "node:fs";

export function writeFd(fd: number, b: Uint8Array): void {
  let off = 0;
  while (off < b.length) {
    try {
      off += writeSync(fd, b, off, b.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // The reader went away (`eka run … | head`): end like a process killed by SIGPIPE.
      if (code === "EPIPE") process.exit(128 + 13);
      if (code !== "EAGAIN") throw e;
      pause();
    }
  }
}

let ended = false;

/** Reads fd 0; 0 at end of input (or when there is no stdin at all). */
export function readStdin(buf: Uint8Array): number {
  if (ended) return 0;
  for (;;) {
    try {
      const n = readSync(0, buf, 0, buf.length, null);
      if (n === 0) ended = true;
      return n;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EAGAIN") {
        pause();
        continue;
      }
      if (code === "EOF" || code === "EBADF" || code === "ENXIO") {
        ended = true;
        return 0;
      }
      throw e;
    }
  }
}

const cell = new Int32Array(new SharedArrayBuffer(4));
function pause(): void {
  Atomics.wait(cell, 0, 0, 2);
}
