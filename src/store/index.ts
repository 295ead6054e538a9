// store/: content-addressed objects, path info, NAR/narinfo, GC. Re-exports only.
// Node-only entry (file stores, default address, materialize): ./open.node.ts.
export { parseDigest, isDigest, digestFromBytes, digestToBytes, digestOf, DIGEST_BYTES, type Digest } from "./digest.ts";
export { nixbase32Encode, nixbase32Decode, nixbase32Length } from "./nixbase32.ts";
export {
  STORE_DIR,
  HASH_PART_LENGTH,
  MAX_NAME_LENGTH,
  makeStorePath,
  parseStorePath,
  parseStoreBasename,
  splitStorePath,
  isStorePath,
  isValidName,
  nameProblem,
  sanitizeName,
  type ParsedStorePath,
} from "./store-path.ts";
export { encodeDirectory, decodeDirectory, makeDirectory, compareNames } from "./directory.ts";
export { narDump, narParse, narHashOf, type NarSink } from "./nar.ts";
export {
  openStore,
  storeFromBackend,
  openBackendByAddress,
  type Store,
  type OpenOptions,
  type BlobService,
  type DirectoryService,
  type PathInfoService,
  type RealisationService,
} from "./store.ts";
export { MemoryBackend } from "./backends/memory.ts";
export { LayeredBackend } from "./backends/layered.ts";
export type { Backend, ObjectKind } from "./backend.ts";
export type { TreeReader, TreeStat, DirEntry, Directory, PathInfo, NewPathInfo, Realisation } from "./types.ts";
export { MemoryTree, type TreeEntry } from "./memory-tree.ts";
export { ObjectTreeReader, type ObjectTreeOptions } from "./object-tree.ts";
export { bytesHash, chunksHash, narHash, contentHash, type HashAlgo } from "./hash.ts";
export {
  fingerprint,
  generateKeyPair,
  publicKeyOf,
  signPathInfo,
  validSignatures,
  checkSigned,
  formatNarinfo,
  parseNarinfo,
  type KeyPair,
  type Narinfo,
} from "./narinfo.ts";
export { importNar, exportPaths, importPaths, topoSort, type ImportOptions, type NarImportInfo } from "./transfer.ts";
export { collectGarbage, type GcResult } from "./gc.ts";
export { verifyStore, type VerifyProblem, type VerifyResult, type VerifyOptions } from "./verify.ts";
export { findDamage, mendPath, restoreObject, treeDrift, type Damage, type Drift } from "./repair.ts";
export { contentStorePath, addSource } from "./source.ts";
