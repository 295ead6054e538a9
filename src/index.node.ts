/**
 * eka's public API under Node: the core API plus disk stores (`file://`, the user's default
 * store), the worker pool and host-directory file systems.
 */
export * as runtime from "./runtime/index.ts";
export * as store from "./store/index.node.ts";
export * as ir from "./ir/index.ts";
export * as builder from "./builder/index.node.ts";
export * as bootstrap from "./bootstrap/index.node.ts";
export { EkaError, isEkaError } from "./errors.ts";
export { runWasi, MemoryFS, OverlayFS, ReadOnlyFS } from "./runtime/index.ts";
export { NodeDirFS } from "./runtime/nodefs.node.ts";
export { openStore, defaultStoreAddress } from "./store/index.node.ts";
export { buildGraph } from "./builder/index.node.ts";
export { pidOf, storePathOf } from "./ir/index.ts";
