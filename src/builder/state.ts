// What the builder keeps beside the store: the action cache, step logs and per-pid locks.
// Memory version here (browser, tests); the file version keeps them in the store's directory
// (state.node.ts).
import type { Digest } from "../store/digest.ts";

/** Held while a package builds; release() is idempotent. */
export interface Lock {
  release(): void;
}

export interface BuildState {
  /** Action key → cid of the action's stored outputs, or null. */
  getAction(key: string): string | null;
  putAction(key: string, cid: string): void;
  /** Appends a package's log; returns where a person can read it (a path or a label). */
  writeLog(pid: Digest, storePath: string, text: string): string;
  readLog(pidOrStorePath: string): string | null;
  /** Waits for the per-pid lock; `onWait` is called once if another holder is seen. */
  lock(pid: Digest, onWait?: () => void, signal?: AbortSignal): Promise<Lock>;
}

export class MemoryBuildState implements BuildState {
  private readonly actions = new Map<string, string>();
  private readonly logs = new Map<string, string>();
  private readonly locks = new Map<string, Promise<void>>();

  getAction(key: string): string | null {
    return this.actions.get(key) ?? null;
  }
  putAction(key: string, cid: string): void {
    this.actions.set(key, cid);
  }
  writeLog(pid: string, storePath: string, text: string): string {
    this.logs.set(pid, text);
    this.logs.set(storePath, text);
    return `memory:logs/${pid}`;
  }
  readLog(k: string): string | null {
    return this.logs.get(k) ?? null;
  }
  async lock(pid: string, onWait?: () => void): Promise<Lock> {
    while (this.locks.has(pid)) {
      onWait?.();
      onWait = undefined;
      await this.locks.get(pid);
    }
    let done!: () => void;
    this.locks.set(pid, new Promise<void>((r) => (done = r)));
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.locks.delete(pid);
        done();
      },
    };
  }
}

const memoryStates = new WeakMap<object, BuildState>();

/** One memory state per store object, so repeated builds against one memory store share it. */
export function memoryStateFor(store: object): BuildState {
  let s = memoryStates.get(store);
  if (!s) memoryStates.set(store, (s = new MemoryBuildState()));
  return s;
}
