/**
 * The package IR: what a package is, in data. Its hash (the pid) names the package's store path,
 * so anything that can change the output (inputs, sources, flags, config, platform, steps) is in
 * it, and nothing else is. atom/ produces it; build/ consumes it.
 *
 * Call `await initIR()` once before `pidOf`/`storePathOf` (BLAKE3 is WebAssembly).
 */
export type {
  ArchiveFormat,
  InputRef,
  JsonValue,
  PackageIR,
  Platform,
  SourceSpec,
  Step,
  ToolRef,
} from "./types.ts";
export { IR_VERSION, SEED_LLVM_TOOL, SEED_TOOL_PREFIX } from "./types.ts";
export {
  canonicalIR,
  initIR,
  inputNodes,
  isStorePath,
  pidOf,
  storePathOf,
  validateIR,
  BUILTIN_TOOLS,
  STORE_DIR,
} from "./pid.ts";
export { parseHash, formatHash, type HashAlgo, type ParsedHash } from "./hash.ts";
