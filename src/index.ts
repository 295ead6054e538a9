/**
 * eka's public API for any JavaScript runtime (browser, worker, edge, Node): no `node:` imports.
 * Each layer is a namespace, named as in docs/ARCHITECTURE.md; the few names most embedders
 * need are also exported flat. Node callers get disk stores and the worker pool from
 * `eka` resolved under Node (src/index.node.ts).
 */
export * as runtime from "./runtime/index.ts";
export * as store from "./store/index.ts";
export * as ir from "./ir/index.ts";
export * as builder from "./builder/index.ts";
export * as bootstrap from "./bootstrap/index.ts";
export { EkaError, isEkaError } from "./errors.ts";
export { runWasi, MemoryFS, OverlayFS, ReadOnlyFS } from "./runtime/index.ts";
export { openStore } from "./store/index.ts";
export { buildGraph } from "./builder/index.ts";
export { pidOf, storePathOf } from "./ir/index.ts";
