// Build state for a file store: `<dir>/actions/<key>` (cid), `<dir>/logs/<pid>` and
// `<dir>/logs/<hashpart>` (a copy keyed the way `eka log PATH` finds it), `<dir>/locks/<pid>`.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { EkaError } from "../errors.ts";
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

  constructor(readonly dir: string) {
    this.actions = join(dir, "actions");
    this.logs = join(dir, "logs");
    this.locks = join(dir, "locks");
    for (const d of [this.actions, this.logs, this.locks]) mkdirSync(d, { recursive: true });
  }

  getAction(key: string): string | null {
    try {
      return readFileSync(join(this.actions, key), "utf8");
    } catch {
      return null;
    }
  }
  putAction(key: string, cid: string): void {
    atomicWrite(join(this.actions, key), cid);
  }
  writeLog(pid: string, storePath: string, text: string): string {
    const file = join(this.logs, pid);
    atomicWrite(file, text);
    atomicWrite(join(this.logs, hashPart(storePath)), pid);
    return file;
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

  /**
   * An exclusive-create lock file holding the owner's pid. A lock whose owner process is gone
   * (kill -9) is taken over, so a crash never blocks later builds.
   */
  async lock(pid: string, onWait?: () => void, signal?: AbortSignal): Promise<Lock> {
    const file = join(this.locks, pid);
    for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
      try {
        const fd = openSync(file, "wx");
        writeSync(fd, String(process.pid));
        closeSync(fd);
        let held = true;
        return {
          release: () => {
            if (held) rmSync(file, { force: true });
            held = false;
          },
        };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
      if (staleLock(file)) {
        rmSync(file, { force: true });
        continue;
      }
      onWait?.();
      onWait = undefined;
      if (signal?.aborted) throw new EkaError("E_ABORTED", "build aborted while waiting for another eka process");
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

function staleLock(file: string): boolean {
  let owner: number;
  try {
    owner = Number(readFileSync(file, "utf8"));
  } catch {
    return false;
  }
  if (!owner) {
    // Being written right now, or left empty by a crash between create and write.
    try {
      return Date.now() - statSync(file).mtimeMs > 5000;
    } catch {
      return false;
    }
  }
  if (owner === process.pid) return false;
  try {
    process.kill(owner, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}

function atomicWrite(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

function hashPart(storePath: string): string {
  const base = storePath.split("/").pop() ?? storePath;
  return base.slice(0, 32);
}

export function hasFileState(dir: string): boolean {
  return existsSync(join(dir, "logs"));
}
