/**
 * Every code an `EkaError` can carry, grouped by the layer that raises it (a code several layers
 * raise sits with the lowest). docs/errors.md says what each means and the usual fix;
 * test/errors.test.ts keeps this list, the codes src/ uses and the docs the same.
 */
export const ERROR_CODES = [
  // util/: the machine's file systems (util/io-errors.ts maps their errno codes)
  "E_DISK_FULL",
  "E_PERMISSION",
  "E_NAME_TOO_LONG",
  "E_FILE_TOO_LARGE",
  "E_BAD_FILE_NAME",
  "E_HOST_IO",
  // runtime/: running WebAssembly and the worker pool
  "E_WASM_COMPILE",
  "E_WASM_IMPORT",
  "E_WASM_NOT_COMMAND",
  "E_WASM_TRAP",
  "E_WASM_MEMORY_LIMIT",
  "E_WASM_OUTPUT_LIMIT",
  "E_WASI_CWD",
  "E_WASI_PREOPEN",
  "E_TIMEOUT",
  "E_WORKER",
  "E_POOL_CLOSED",
  "E_POOL_PROGRAM",
  "E_UNKNOWN_MODULE",
  "E_MOUNT_KIND",
  // store/: addresses, paths, objects, NARs, signatures, binary caches
  "E_STORE_ADDRESS",
  "E_STORE_LOCKED",
  "E_NO_STORE",
  "E_NO_MIRROR",
  "E_NOT_A_STORE",
  "E_NOT_STORE_PATH",
  "E_BAD_STORE_PATH",
  "E_BAD_STORE_NAME",
  "E_BAD_NIXBASE32",
  "E_BAD_DIGEST",
  "E_BAD_DIRECTORY",
  "E_CORRUPT_OBJECT",
  "E_MISSING_OBJECT",
  "E_CHECKOUT_CHANGED",
  "E_MISSING_REFERENCE",
  "E_PATH_CONFLICT",
  "E_REALISATION_MISMATCH",
  "E_HASH_MISMATCH",
  "E_NOT_DIRECTORY",
  "E_NOT_FILE",
  "E_NOT_SYMLINK",
  "E_UNSUPPORTED_FILE",
  "E_HOST_RULES",
  "E_CASE_COLLISION",
  "E_SYMLINK_UNSUPPORTED",
  "E_EXISTS",
  "E_BAD_NAR",
  "E_BAD_EXPORT",
  "E_REFERENCE_CYCLE",
  "E_BAD_NAR_HASH",
  "E_BAD_NARINFO",
  "E_BAD_KEY",
  "E_BAD_SIGNATURE",
  "E_NOT_IN_CACHE",
  "E_CACHE_UNREACHABLE",
  // dist/: OCI image layouts and registries
  "E_OCI_LAYOUT",
  "E_OCI_DIGEST",
  "E_OCI_REF",
  "E_OCI_NO_PROGRAM",
  "E_REGISTRY",
  "E_UNSUPPORTED_COMPRESSION",
  "E_PORT_IN_USE",
  "E_SERVE_LISTEN",
  // ir/: package IR
  "E_IR",
  "E_IR_CYCLE",
  // toolchains/: the seed and the C build
  "E_SEED_MISSING",
  "E_SEED_CORRUPT",
  "E_SEED_CACHE",
  "E_CBUILD",
  // builder/: sources, steps, outputs
  "E_SEED",
  "E_FETCH",
  "E_SOURCE",
  "E_UNPACK",
  "E_MISSING_INPUT",
  "E_STEP_INPUT",
  "E_STEP_OUTPUT",
  "E_NO_OUTPUT",
  "E_BUILD_FAILED",
  "E_ABORTED",
  "E_NO_BUILD_HOST",
  "E_NO_PROGRAM",
  "E_DIST_FORMAT",
  // atom/: manifests, locks, resolving
  "E_NO_ATOM",
  "E_MANIFEST_SYNTAX",
  "E_MANIFEST_KEY",
  "E_MANIFEST_TYPE",
  "E_MANIFEST_MISSING",
  "E_MANIFEST_SEMVER",
  "E_MANIFEST_INTERPOLATION",
  "E_DEP_CYCLE",
  "E_PATH_OUTSIDE",
  "E_LOCK",
  "E_LOCK_STALE",
  "E_GIT",
  "E_GIT_REF",
  "E_NO_MATCHING_VERSION",
  "E_NOT_BUILDABLE",
  "E_VARIANT",
  // cli/: the commands
  "E_USAGE",
  "E_NOT_FOUND",
  "E_NOT_IN_STORE",
  "E_TTY",
  "E_NO_LOG",
  "E_CHECK_DIFFERS",
  "E_CHAIN",
  "E_BOOTSTRAP_CHECK",
  "E_NO_SCRIPT",
  "E_SHEBANG",
  "E_CWD",
  "E_WASI_FILE",
  "E_WASI_NOT_WASM",
  "E_WASI_DIR",
  // review/: `eka review BASE HEAD`
  "E_REVIEW_REPO",
  "E_REVIEW_REV",
  // ci/: `eka ci serve`
  "E_CI_CONFIG",
  "E_CI_FETCH",
  "E_GITHUB_API",
  // daemon/: `eka daemon` and its clients
  "E_DAEMON_NOT_RUNNING",
  "E_DAEMON_VERSION",
  "E_DAEMON_START",
  "E_DAEMON_STOP",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * The one error type eka throws on purpose. `code` is stable (scripts and tests match on it);
 * `message` says what is wrong and, where there is one, the fix. Only the CLI entry point prints
 * errors and picks the exit status.
 */
export class EkaError extends Error {
  override readonly name = "EkaError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export function isEkaError(e: unknown, code?: ErrorCode): e is EkaError {
  return e instanceof EkaError && (code === undefined || e.code === code);
}
