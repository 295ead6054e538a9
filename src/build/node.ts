// Kept for importers of the old name; the Node entry of build/ is index.node.ts.
export * from "./index.node.ts";
