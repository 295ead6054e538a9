// Node sandboxes: work directories are host temp directories, so worker threads can mount them by
// name; inputs are read-only checkouts of store paths (materialize) — or, for stores without
// one (memory:), a per-process export made once per path.
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { hostTree, writeHostTree } from "../store/host-tree.node.ts";
import type { Store } from "../store/store.ts";
import type { TreeReader } from "../store/types.ts";
import { isAlive } from "../util/host.node.ts";
import type { Mount } from "./executor.ts";
import type { SandboxHost, WorkDir } from "./sandbox.ts";

export class HostWorkDir implements WorkDir {
  constructor(readonly root: string) {}
  mount(guest: string): Mount {
    return { guest, readonly: false, host: this.root };
  }
  reader(): TreeReader {
    return hostTree(this.root);
  }
  /** The host path of `rel` inside this work directory. */
  abs(rel: string): string {
    return rel === "" ? this.root : path.join(this.root, ...rel.split("/"));
  }
  mkdirp(rel: string): void {
    fs.mkdirSync(this.abs(rel), { recursive: true });
  }
  writeFile(rel: string, data: Uint8Array, executable: boolean): void {
    const p = this.abs(rel);
    fs.rmSync(p, { force: true });
    fs.writeFileSync(p, data, { mode: executable ? 0o755 : 0o644 });
  }
  symlink(rel: string, target: string): void {
    const p = this.abs(rel);
    fs.rmSync(p, { force: true });
    fs.symlinkSync(target, p);
  }
  remove(rel: string): void {
    fs.rmSync(this.abs(rel), { recursive: true, force: true });
  }
  dispose(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

const exported = new Map<string, string>();
let exportRoot: string | undefined;

export class NodeSandboxHost implements SandboxHost {
  /**
   * `base` holds the work directories, named with this process's id so that a later build can
   * remove those a killed process left behind (sweepStale).
   */
  constructor(private readonly base = tmpdir()) {
    fs.mkdirSync(base, { recursive: true });
  }

  workDir(label: string): WorkDir {
    return new HostWorkDir(fs.mkdtempSync(path.join(this.base, `eka-${label}-${process.pid}-`)));
  }

  /** Removes work directories of processes that no longer run (kill -9, power loss). */
  sweepStale(): number {
    let removed = 0;
    for (const name of fs.readdirSync(this.base)) {
      const m = /^eka-[a-z]+-(\d+)-/.exec(name);
      if (!m || Number(m[1]) === process.pid || isAlive(Number(m[1]))) continue;
      fs.rmSync(path.join(this.base, name), { recursive: true, force: true });
      removed++;
    }
    return removed;
  }

  inputMount(store: Store, storePath: string, sub = "", guest = storePath): Mount {
    const at = (host: string): Mount => ({ guest, readonly: true, host: sub ? path.join(host, ...sub.split("/")) : host });
    if (store.materialize) {
      try {
        return at(store.materialize(storePath));
      } catch {
        // Not a file store after all (e.g. layered over memory): fall through to an export.
      }
    }
    const key = `${store.address}\0${storePath}`;
    let host = exported.get(key);
    if (!host) {
      exportRoot ??= fs.mkdtempSync(path.join(tmpdir(), "eka-inputs-"));
      host = path.join(exportRoot, String(exported.size));
      writeHostTree(store.pathTree(storePath), "", host);
      exported.set(key, host);
    }
    return at(host);
  }
}

process.once("exit", () => {
  if (exportRoot) fs.rmSync(exportRoot, { recursive: true, force: true });
});

