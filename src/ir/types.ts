// Types of the package IR. Imports nothing, so any layer (and a browser) can use them.

export const IR_VERSION = 1 as const;

/**
 * A step's tool may name the seed's multi-call LLVM module instead of a file in the store:
 * `seed:llvm`. Its argv[0] (args[0]) picks clang, wasm-ld, ar, … The seed's identity enters the
 * pid through the package's `inputs.seed` store path, which the builder mounts like any input.
 */
export const SEED_TOOL_PREFIX = "seed:" as const;
/** The seed tool every C step runs (the driver, ar, wasm-ld, by argv[0]). */
export const SEED_LLVM_TOOL = `${SEED_TOOL_PREFIX}llvm` as const;

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Platforms are target triples without vendor, e.g. `wasm32-wasip1`. */
export interface Platform {
  build: string;
  host: string;
}

/**
 * An input: another package node (built first if its store path is missing), or the store path
 * of an object that must already be in the store (the imported seed, a fetched source). In the
 * canonical JSON both appear as the store path, which carries the input's pid.
 */
export type InputRef = PackageIR | string;

export type ArchiveFormat = "tar" | "tar.gz" | "tar.xz" | "tar.bz2" | "zip";

/**
 * A fixed-output source, unpacked at `/build/<name>` in the sandbox. `hash` is `blake3:<hex>` or
 * `sha256:<hex>`:
 * - of the file's bytes for `url` sources and for `path` sources that name a file (an archive is
 *   hashed as downloaded, before unpacking, so `b3sum`/`sha256sum` of the tarball gives it);
 * - of the NAR serialisation of the tree for `path` directories and `git` checkouts (the same
 *   bytes `nix hash path` hashes; `.git` is not part of a git checkout).
 * `unpack` (default: by file name) unpacks an archive; a single top-level directory in it is
 * stripped, as Nix does.
 */
export type SourceSpec =
  | { kind: "path"; path: string; hash: string; unpack?: boolean | ArchiveFormat }
  | { kind: "url"; url: string; hash: string; unpack?: boolean | ArchiveFormat }
  | { kind: "git"; url: string; rev: string; hash: string };

/**
 * A WASM command: `seed:llvm` or an absolute guest path of a `.wasm` file, either under an input
 * store path or produced by an earlier step of the same package (under `$out` or `/build`); or
 * `builtin:copy` (`copy [--base DIR] SRC… DSTDIR`), which the builder does itself, since a
 * sandbox has no shell utilities to install files with.
 */
export type ToolRef = string;

/**
 * One command of a package build. Steps form a DAG through `deps`; independent steps may run in
 * parallel. A step is cached as an action keyed by tool, args, env, cwd and the digest of its
 * declared `inputs`; on a hit its declared `outputs` are restored instead of running it, so
 * `inputs` must cover everything it reads from /build or $out (store paths are immutable and
 * keyed by the package's inputs anyway) and `outputs` everything later steps need.
 *
 * Paths in `inputs`/`outputs` are absolute guest paths; `$out` is replaced by the package's store
 * path. An input may end in a glob segment (`/build/src/**\/*.h`, `/build/src/*.c`) so that a
 * compile step depends on headers, not on every sibling source file.
 */
export interface Step {
  id: string;
  tool: ToolRef;
  /** argv, including argv[0]. `$out` in an argument is replaced by the package's store path. */
  args: string[];
  /** Added to the package's env for this step only. */
  env?: Record<string, string>;
  /** Guest working directory; default `/build`. */
  cwd?: string;
  deps?: string[];
  inputs?: string[];
  outputs?: string[];
}

export interface PackageIR {
  irVersion: typeof IR_VERSION;
  name: string;
  version: string;
  platform: Platform;
  /** Name → input. Each input's store path is mounted read-only at that same path. */
  inputs: Record<string, InputRef>;
  sources: Record<string, SourceSpec>;
  /** Free-form configuration (feature flags, variant); part of the pid only. */
  config: JsonValue;
  /** The build's whole environment besides the variables the sandbox adds (see builder/). */
  env: Record<string, string>;
  steps: Step[];
  /** Output names; only `out` is built today. */
  outputs: string[];
}
