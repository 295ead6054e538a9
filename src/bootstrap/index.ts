/**
 * bootstrap/: the pinned seed and its import into the store. Core entry (no `node:` import);
 * ./index.node.ts adds finding the installed seed.
 */
export { SEED_NAME, SEED_PINS, importSeed, seedStorePath, verifySeed, type SeedBytes } from "./seed.ts";
