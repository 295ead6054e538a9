// Build state for a file store: `<dir>/actions/<key>` (cid), `<dir>/logs/<pid>` and
// `<dir>/logs/<hashpart>` (a copy keyed the way `eka log PATH` finds it), `<dir>/locks/<pid>`.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { EkaError } from "../errors.ts";
import { parseStorePath, splitStorePath } from "../store/store-path.ts";
import { atomicWrite, lock } from "../util/host.node.ts";
import type { BuildState, Lock } from "./state.ts";

/** The host directory of a `file://` store address, or null for other stores. */
export function storeDirOf(address: string): string | null {
  const last = address.split("|")[0] ?? address;
  return last.startsWith("file:") ? fileURLToPath(last) : null;
}

export class FileBuildState implements BuildState {
  private readonly actions: string;
  private readonly logs: string;
  private readonly locks: string;
  private readonly made = new Set<string>();

  /**
   * Nothing is created until something is written (`eka log` only reads). `tempPath` names temp
   * files in the store's tmp/, where gc collects what a killed writer left; default: beside.
   */
  constructor(
    readonly dir: string,
    private readonly tempPath?: () => string,
  ) {
    this.actions = join(dir, "actions");
    this.logs = join(dir, "logs");
    this.locks = join(dir, "locks");
  }

  private ensure(d: string): string {
    // Checked again each time: a long-lived process (eka daemon) outlives a store deleted under it.
    if (!this.made.has(d) || !existsSync(d)) {
      mkdirSync(d, { recursive: true });
      this.made.add(d);
    }
    return d;
  }

  private write(d: string, name: string, text: string): void {
    atomicWrite(join(this.ensure(d), name), text, this.tempPath ? { tmp: this.tempPath() } : {});
  }

  getAction(key: string): string | null {
    try {
      return readFileSync(join(this.actions, key), "utf8");
    } catch {
      return null;
    }
  }
  putAction(key: string, cid: string): void {
    this.write(this.actions, key, cid);
  }
  writeLog(pid: string, storePath: string, text: string): string {
    this.write(this.logs, pid, text);
    this.write(this.logs, hashPart(storePath), pid);
    return join(this.logs, pid);
  }
  readLog(k: string): string | null {
    let pid = k;
    if (k.startsWith("/") || k.includes("-")) {
      try {
        pid = readFileSync(join(this.logs, hashPart(k)), "utf8");
      } catch {
        return null;
      }
    }
    try {
      return readFileSync(join(this.logs, pid), "utf8");
    } catch {
      return null;
    }
  }

  /** util/host.node.ts's lock file: a lock whose owner is gone (kill -9) is taken over. */
  async lock(pid: string, onWait?: () => void, signal?: AbortSignal): Promise<Lock> {
    const release = await lock(join(this.ensure(this.locks), pid), {
      ...(onWait ? { onWait } : {}),
      ...(signal ? { signal } : {}),
      onAbort: () => new EkaError("E_ABORTED", "build aborted while waiting for another eka process"),
    });
    return { release };
  }
}

/** The key `eka log PATH` finds a log by: the hash part of a store path, its basename or a path inside it. */
function hashPart(path: string): string {
  return parseStorePath(splitStorePath(path).storePath).hashPart;
}

export function hasFileState(dir: string): boolean {
  return existsSync(join(dir, "logs"));
}
