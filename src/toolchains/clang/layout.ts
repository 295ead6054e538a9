/**
 * The seed store object's layout and how packages name it: bootstrap/ imports it, and makes the
 * object, the builder learns it only through the clang toolchain (toolchain.ts).
 */

/** The input name a package gives the seed. */
export const SEED_INPUT = "seed";
/** Tools named `seed:…` are the seed's multi-call module (argv[0] picks the tool); named in ir/. */
export { SEED_TOOL_PREFIX } from "../../ir/types.ts";
/** The multi-call module's file, and the sysroot directory mounted at /usr. */
export const SEED_MODULE = "llvm.wasm";
export const SEED_SYSROOT = "usr";
