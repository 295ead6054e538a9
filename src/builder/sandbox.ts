// Where sandboxes live (host temp directories or memory) and their writable work directories;
// package-sandbox.ts assembles one package's sandbox from these.
import type { Store } from "../store/store.ts";
import type { TreeReader } from "../store/types.ts";
import type { Mount } from "./executor.ts";

/** A writable directory of the sandbox. Paths are relative, '/'-separated, "" is the root. */
export interface WorkDir {
  mount(guest: string): Mount;
  reader(): TreeReader;
  mkdirp(rel: string): void;
  writeFile(rel: string, data: Uint8Array, executable: boolean): void;
  symlink(rel: string, target: string): void;
  remove(rel: string): void;
  dispose(): void;
}

/** Where sandboxes live: host temp directories (Node) or memory (browser). */
export interface SandboxHost {
  workDir(label: string): WorkDir;
  /** A read-only mount of one store path (or `sub`, a directory inside it) at `guest`. */
  inputMount(store: Store, storePath: string, sub?: string, guest?: string): Mount;
}

/** Copies `from` (file, dir or symlink) of `src` to `to` in `dst`, creating parents. */
export function copyInto(src: TreeReader, from: string, dst: WorkDir, to: string): void {
  const st = src.stat(from);
  if (!st) return;
  const parent = to.includes("/") ? to.slice(0, to.lastIndexOf("/")) : "";
  if (parent) dst.mkdirp(parent);
  if (st.kind === "directory") {
    dst.mkdirp(to);
    for (const name of src.readdir(from)) copyInto(src, join(from, name), dst, join(to, name));
  } else if (st.kind === "symlink") {
    dst.symlink(to, src.readlink(from));
  } else {
    dst.writeFile(to, src.readFile(from), st.executable);
  }
}

export function join(a: string, b: string): string {
  return a === "" ? b : b === "" ? a : `${a}/${b}`;
}
