/**
 * An overlay: a lower file system seen read-only under a writable upper one (the build sandbox:
 * sources below, scratch writes above). Writing a lower file copies it up first; deleting a lower
 * entry records a whiteout; a directory re-created over a deleted one is opaque (hides the lower
 * directory's entries). Whiteouts live in the overlay, not in the upper file system, so the upper
 * tree stays a plain tree of what was written.
 */
import { type DirEntry, type FileHandle, type FileSystem, FsError, type OpenOptions, type Stat, joinPath, parentOf, readFile } from "./fs.ts";

export class OverlayFS implements FileSystem {
  readonly readonly = false;
  private readonly whiteouts = new Set<string>();
  private readonly opaque = new Set<string>();
  /** Merged directory link counts; cleared by every mutation (the lower layer never changes). */
  private readonly links = new Map<string, number>();

  constructor(
    readonly lower: FileSystem,
    readonly upper: FileSystem,
  ) {}

  stat(path: string): Stat {
    const up = this.upperStat(path);
    const st = up ? { ...up, ino: up.ino * 2n + 1n } : this.lowerStat(path);
    if (!st) throw this.missing(path);
    if (!up) st.ino = st.ino * 2n;
    // A merged directory's link count counts the subdirectories of both layers.
    if (st.kind === "dir") st.nlink = this.dirLinks(path);
    return st;
  }

  readdir(path: string): DirEntry[] {
    const st = this.upperStat(path) ?? this.lowerStat(path);
    if (!st) throw this.missing(path);
    if (st.kind !== "dir") throw new FsError("NOTDIR", `'${path}' is not a directory`);
    const out = new Map<string, DirEntry>();
    if (this.upperStat(path)?.kind === "dir") {
      for (const e of this.upper.readdir(path)) out.set(e.name, { ...e, ino: e.ino * 2n + 1n });
    }
    if (this.lowerStat(path)?.kind === "dir" && !this.opaque.has(path)) {
      for (const e of this.lower.readdir(path)) {
        if (!out.has(e.name) && !this.whiteouts.has(joinPath(path, e.name))) out.set(e.name, { ...e, ino: e.ino * 2n });
      }
    }
    return [...out.values()];
  }

  open(path: string, opts: OpenOptions = {}): FileHandle {
    if (this.upperStat(path)) return this.upper.open(path, opts);
    const low = this.lowerStat(path);
    if (low) {
      if (opts.create && opts.exclusive) throw new FsError("EXIST", `'${path}' exists`);
      if (!opts.write && !opts.truncate) return this.lower.open(path, opts);
      this.copyUp(path);
      return this.upper.open(path, opts);
    }
    if (!opts.create) throw this.missing(path);
    this.prepareCreate(path);
    return this.upper.open(path, opts);
  }

  mkdir(path: string): void {
    this.mutate(() => this.mkdir1(path));
  }

  private mkdir1(path: string): void {
    if (this.exists(path)) throw new FsError("EXIST", `'${path}' exists`);
    const wasDeleted = this.prepareCreate(path);
    this.upper.mkdir(path);
    if (wasDeleted) this.opaque.add(path);
  }

  rmdir(path: string): void {
    this.mutate(() => this.rmdir1(path));
  }

  private rmdir1(path: string): void {
    const st = this.stat(path);
    if (st.kind !== "dir") throw new FsError("NOTDIR", `'${path}' is not a directory`);
    if (path === "") throw new FsError("BUSY", "cannot remove the root directory");
    if (this.readdir(path).length) throw new FsError("NOTEMPTY", `'${path}' is not empty`);
    this.remove(path, true);
  }

  unlink(path: string): void {
    this.mutate(() => this.unlink1(path));
  }

  private unlink1(path: string): void {
    const st = this.stat(path);
    if (st.kind === "dir") throw new FsError("ISDIR", `'${path}' is a directory`);
    this.remove(path, false);
  }

  rename(from: string, to: string): void {
    this.mutate(() => this.rename1(from, to));
  }

  private rename1(from: string, to: string): void {
    // Both parents first, then the source: the order rename(2) reports errors in.
    for (const parent of [parentOf(from), parentOf(to)]) {
      if (this.stat(parent).kind !== "dir") throw new FsError("NOTDIR", `'${parent}' is not a directory`);
    }
    const src = this.stat(from);
    if (from === to) return;
    if (src.kind === "dir" && (to + "/").startsWith(from + "/")) throw new FsError("INVAL", `cannot move '${from}' into itself`);
    if (from.startsWith(to + "/")) throw new FsError("NOTEMPTY", `'${to}' contains '${from}'`);
    if (this.exists(to)) {
      const dst = this.stat(to);
      // Two names of one file: rename(2) does nothing.
      if (dst.ino === src.ino && dst.kind !== "dir") return;
      if (dst.kind === "dir") {
        if (src.kind !== "dir") throw new FsError("ISDIR", `'${to}' is a directory`);
        if (this.readdir(to).length) throw new FsError("NOTEMPTY", `'${to}' is not empty`);
        this.rmdir(to);
      } else {
        if (src.kind === "dir") throw new FsError("NOTDIR", `'${to}' is not a directory`);
        this.unlink(to);
      }
    }
    // The merged subtree moves as a whole, so it is first made entirely upper.
    this.copyUpTree(from);
    const wasDeleted = this.prepareCreate(to);
    this.upper.rename(from, to);
    if (this.lowerStat(from)) this.whiteouts.add(from);
    if (src.kind === "dir" && (wasDeleted || this.lowerStat(to))) this.opaque.add(to);
  }

  symlink(target: string, path: string): void {
    this.mutate(() => this.symlink1(target, path));
  }

  private symlink1(target: string, path: string): void {
    if (this.exists(path)) throw new FsError("EXIST", `'${path}' exists`);
    this.prepareCreate(path);
    this.upper.symlink(target, path);
  }

  readlink(path: string): string {
    if (this.upperStat(path)) return this.upper.readlink(path);
    if (this.lowerStat(path)) return this.lower.readlink(path);
    throw this.missing(path);
  }

  link(existing: string, path: string): void {
    this.mutate(() => this.link1(existing, path));
  }

  private link1(existing: string, path: string): void {
    const st = this.stat(existing);
    const parent = this.stat(parentOf(path));
    if (parent.kind !== "dir") throw new FsError("NOTDIR", `'${parentOf(path)}' is not a directory`);
    if (this.exists(path)) throw new FsError("EXIST", `'${path}' exists`);
    if (st.kind === "dir") throw new FsError("PERM", `cannot hard-link directory '${existing}'`);
    this.copyUp(existing);
    this.prepareCreate(path);
    this.upper.link(existing, path);
  }

  setTimes(path: string, atimeNs: bigint | null, mtimeNs: bigint | null): void {
    this.stat(path);
    this.copyUp(path);
    this.upper.setTimes(path, atimeNs, mtimeNs);
  }

  setExecutable(path: string, executable: boolean): void {
    this.stat(path);
    this.copyUp(path);
    this.upper.setExecutable?.(path, executable);
  }

  /** The error for a path that exists in neither layer: NOTDIR when a parent is not a directory. */
  private missing(path: string): FsError {
    if (path !== "" && this.stat(parentOf(path)).kind !== "dir") return new FsError("NOTDIR", `'${parentOf(path)}' is not a directory`);
    return new FsError("NOENT", `'${path}' does not exist`);
  }

  /** Runs a mutation; merged link counts read during or before it are dropped after it. */
  private mutate(f: () => void): void {
    try {
      f();
    } finally {
      this.links.clear();
    }
  }

  private dirLinks(path: string): number {
    let n = this.links.get(path);
    if (n === undefined) {
      n = 2 + this.readdir(path).filter((e) => e.kind === "dir").length;
      this.links.set(path, n);
    }
    return n;
  }

  private exists(path: string): boolean {
    return this.upperStat(path) !== null || this.lowerStat(path) !== null;
  }

  private upperStat(path: string): Stat | null {
    return statOrNull(this.upper, path);
  }

  /** The lower entry at `path`, unless a whiteout or an opaque directory hides it. */
  private lowerStat(path: string): Stat | null {
    if (this.whiteouts.size || this.opaque.size) {
      for (let q = path; ; q = parentOf(q)) {
        if (this.whiteouts.has(q) || (q !== path && this.opaque.has(q))) return null;
        if (q === "") break;
      }
    }
    return statOrNull(this.lower, path);
  }

  /**
   * Makes the parent of `path` an upper directory and drops a whiteout at `path`; says if there
   * was one. The new entry then hides whatever the lower layer has below `path` (opaque).
   */
  private prepareCreate(path: string): boolean {
    const parent = parentOf(path);
    const pst = this.stat(parent);
    if (pst.kind !== "dir") throw new FsError("NOTDIR", `'${parent}' is not a directory`);
    this.copyUp(parent);
    const deleted = this.whiteouts.delete(path);
    if (deleted) this.opaque.add(path);
    return deleted;
  }

  private remove(path: string, dir: boolean): void {
    if (this.upperStat(path)) {
      if (dir) this.upper.rmdir(path);
      else this.upper.unlink(path);
    }
    if (statOrNull(this.lower, path) && !this.hiddenAbove(path)) this.whiteouts.add(path);
    this.opaque.delete(path);
  }

  private hiddenAbove(path: string): boolean {
    for (let q = path; q !== ""; ) {
      q = parentOf(q);
      if (this.whiteouts.has(q) || this.opaque.has(q)) return true;
    }
    return false;
  }

  /** Copies one entry (not a directory's contents) into upper, parents first. */
  private copyUp(path: string): void {
    if (this.upperStat(path)) return;
    const st = this.lowerStat(path);
    if (!st) throw new FsError("NOENT", `'${path}' does not exist`);
    if (path !== "") this.copyUp(parentOf(path));
    if (st.kind === "dir") {
      if (path !== "") this.upper.mkdir(path);
    } else if (st.kind === "symlink") {
      this.upper.symlink(this.lower.readlink(path), path);
    } else {
      const h = this.upper.open(path, { write: true, create: true, truncate: true });
      try {
        h.write(readFile(this.lower, path), 0);
        h.setTimes(st.atimeNs, st.mtimeNs);
      } finally {
        h.close();
      }
      if (st.executable) this.upper.setExecutable?.(path, true);
    }
  }

  private copyUpTree(path: string): void {
    this.copyUp(path);
    if (this.stat(path).kind !== "dir") return;
    for (const e of this.readdir(path)) this.copyUpTree(joinPath(path, e.name));
  }
}

function statOrNull(fs: FileSystem, path: string): Stat | null {
  try {
    return fs.stat(path);
  } catch (e) {
    if (e instanceof FsError && (e.errno === "NOENT" || e.errno === "NOTDIR")) return null;
    throw e;
  }
}

