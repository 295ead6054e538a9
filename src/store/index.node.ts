// store/ for Node: everything in index.ts plus file stores, roots, host trees. Re-exports only.
export * from "./index.ts";
export { openStore, chooseStore, defaultStoreAddress, normalizeAddress, fileBackendOf, removeReadOnlyTree, NodeStore, FileBackend, type StoreChoice, type OpenStoreOptions } from "./open.node.ts";
export { hostTree, hostPath, writeHostTree } from "./host-tree.node.ts";
export { addRoot, makeResultLink, listRoots, gcStore, cleanTemp, type GcRoot, type FullGcResult } from "./gc.node.ts";
export { holdTempRoots, readTempRoots, TempRoots } from "./temproots.node.ts";
export { restoreNar } from "./restore.node.ts";
export { writeBinaryCache, substituteFromCache, type CacheWriteResult } from "./binary-cache.node.ts";
export { repairStore, repairCheckout, unrepaired, type RepairReport, type RepairAction, type RepairOptions } from "./repair.node.ts";
export { checkoutsOf, checkoutPath, remakeCheckout } from "./checkout.node.ts";
