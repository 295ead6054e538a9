// Node: where a store's build state (action cache, logs, locks) lives — files in a file store's
// directory, else memory.
import { fileBackendOf } from "../store/open.node.ts";
import type { Store } from "../store/store.ts";
import { memoryStateFor, type BuildState } from "./state.ts";
import { FileBuildState } from "./state.node.ts";

export function buildStateFor(store: Store): BuildState {
  const fb = fileBackendOf(store.backend);
  if (!fb) return memoryStateFor(store);
  let s = fileStates.get(fb.root);
  if (!s) fileStates.set(fb.root, (s = new FileBuildState(fb.root, () => fb.tempPath("-state"))));
  return s;
}
const fileStates = new Map<string, BuildState>();
