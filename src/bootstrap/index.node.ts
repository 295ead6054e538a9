/** bootstrap/ under Node: the core entry plus the installed seed's files, version and import. */
export * from "./index.ts";
export { ensureSeed, installedSeedPath, readSeed, seedFiles, seedProvider, seedVersion } from "./seed.node.ts";
