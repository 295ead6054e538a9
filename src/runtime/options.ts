/** Options and results of running a WASI command. Types only. */
import type { FileSystem } from "./fs.ts";

export interface Preopen {
  /** The guest path the directory appears at, e.g. "/usr" or "/work". */
  guest: string;
  fs: FileSystem;
  /** A directory inside `fs` to expose instead of its root (interface path form, default ""). */
  path?: string;
}

/** Reads up to `buf.length` bytes of stdin synchronously; returns 0 at end of input. */
export type StdinReader = (buf: Uint8Array) => number;

export interface RunOptions {
  /** args[0] is the program name (the multi-call seed picks the tool by it). */
  args: string[];
  env?: Record<string, string>;
  /** Preopened directories, fds 3, 4, … in this order. */
  preopens?: Preopen[];
  /**
   * The guest's working directory (an absolute guest path). wasi-libc starts at "/" and does not
   * read PWD; it resolves a relative path "p" as "/p" against the preopen with the longest
   * matching prefix, where a preopen named "." counts as "/". So when `cwd` lies inside a
   * preopen, the host adds one more preopen named "." for that directory (unless a preopen is
   * mounted at "/"), and sets PWD. Relative paths in argv then work; absolute ones always do.
   */
  cwd?: string;
  stdin?: Uint8Array | StdinReader;
  /** Called synchronously for each chunk the guest writes; default: collected into the result. */
  stdout?: (chunk: Uint8Array) => void;
  stderr?: (chunk: Uint8Array) => void;
  /**
   * Which stdio streams the guest should take for a terminal (default: none, like pipes, so
   * tools such as clang print no colour codes into captured logs). The CLI sets this from its
   * own streams, so a guest's line-buffered output reaches the terminal as it prints.
   */
  tty?: { stdin?: boolean; stdout?: boolean; stderr?: boolean };
  /** Clocks derived from epochNs (SOURCE_DATE_EPOCH × 1e9), advancing 1 µs per reading; random bytes from `seed`. */
  deterministic?: { epochNs?: bigint; seed?: number };
  limits?: {
    /** Checked at every syscall and at exit: a guest above it is stopped with E_WASM_MEMORY_LIMIT. */
    maxMemoryBytes?: number;
    /** Bytes written to stdout + stderr; beyond it the guest is stopped with E_WASM_OUTPUT_LIMIT. */
    maxOutputBytes?: number;
  };
}

export interface RunResult {
  exitCode: number;
  /** What the guest wrote, unless a callback took it (then empty). */
  stdout: Uint8Array;
  stderr: Uint8Array;
}
