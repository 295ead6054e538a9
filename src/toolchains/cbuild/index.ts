/**
 * The C builder: a small declarative description of a C project → package IR steps (one compile
 * step per source file, one archive step per static library, one link step per executable, and
 * builtin copy steps to install headers). Steps run the seed clang driver (`seed:llvm`, argv[0]
 * `clang`); the builder expands the driver inside the step (`clang -###`, ~20 ms) so the IR stays
 * readable and each compile is one cacheable action.
 *
 * Layout in the sandbox: sources under `srcDir` (default /build/src), objects under /build/obj,
 * libraries in $out/lib/lib<name>.a, headers in $out/include, executables in $out/bin/<name>.wasm.
 */
export { cbuildSteps, DEFAULT_TARGET } from "./steps.ts";
export type { CBuildSpec, CLibrary, CExecutable } from "./steps.ts";
