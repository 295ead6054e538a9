/**
 * `FilteredFS(inner, view)`: another file system showing only some of its paths — each path of
 * the view with everything below it, the directories above them (listing only what is shown), and
 * whatever the guest creates. The builder gives each step such a view of its work directories, so
 * a step can read only what its action key covers; anything else is ENOENT, as if absent.
 *
 * Creating a name that exists below but is hidden is EACCES (never a silent overwrite, never a
 * view of its bytes); `mkdir` of a hidden directory shows it, empty of hidden entries, and is
 * EEXIST as usual, so `mkdir -p` works.
 */
import { type DirEntry, type FileHandle, type FileSystem, FsError, joinPath, type OpenOptions, parentOf, type Stat } from "./fs.ts";

/** What a FilteredFS shows; paths as the FileSystem contract has them ("" is the root). */
export interface ViewSpec {
  /** Shown with everything below them; a path that does not exist yet is shown once created. */
  paths: readonly string[];
  /** Directories shown even when nothing below them is (a working directory); they list only what is shown. */
  dirs?: readonly string[];
}

export class FilteredFS implements FileSystem {
  readonly readonly: boolean;
  /** Roots of shown subtrees. */
  private readonly shown = new Set<string>();
  /** Directories shown for the sake of what lies below them. */
  private readonly through = new Set<string>([""]);

  constructor(
    readonly inner: FileSystem,
    view: ViewSpec,
  ) {
    this.readonly = inner.readonly;
    for (const p of view.paths) this.show(p);
    for (const d of view.dirs ?? []) this.show(d, false);
  }

  stat(path: string): Stat {
    this.need(path);
    return this.inner.stat(path);
  }
  readdir(path: string): DirEntry[] {
    if (this.inShown(path)) return this.inner.readdir(path);
    if (!this.through.has(path)) throw hidden(path);
    return this.inner.readdir(path).filter((e) => this.visible(joinPath(path, e.name)));
  }
  open(path: string, opts: OpenOptions = {}): FileHandle {
    if (this.visible(path)) return this.inner.open(path, opts);
    if (!opts.create) throw hidden(path);
    this.creating(path);
    const h = this.inner.open(path, opts);
    this.show(path);
    return h;
  }
  mkdir(path: string): void {
    if (this.visible(path)) return this.inner.mkdir(path);
    this.need(parentOf(path));
    if (this.exists(path)) {
      if (this.inner.stat(path).kind === "dir") {
        this.through.add(path);
        throw new FsError("EXIST", `'${path}' exists`);
      }
      throw refused(path);
    }
    this.inner.mkdir(path);
    this.show(path);
  }
  rmdir(path: string): void {
    this.need(path);
    this.inner.rmdir(path);
  }
  unlink(path: string): void {
    this.need(path);
    this.inner.unlink(path);
  }
  rename(from: string, to: string): void {
    this.need(from);
    if (!this.visible(to)) this.creating(to);
    this.inner.rename(from, to);
    this.show(to);
  }
  symlink(target: string, path: string): void {
    if (!this.visible(path)) this.creating(path);
    this.inner.symlink(target, path);
    this.show(path);
  }
  readlink(path: string): string {
    this.need(path);
    return this.inner.readlink(path);
  }
  link(existing: string, path: string): void {
    this.need(existing);
    if (!this.visible(path)) this.creating(path);
    this.inner.link(existing, path);
    this.show(path);
  }
  setTimes(path: string, atimeNs: bigint | null, mtimeNs: bigint | null): void {
    this.need(path);
    this.inner.setTimes(path, atimeNs, mtimeNs);
  }
  setExecutable(path: string, executable: boolean): void {
    this.need(path);
    this.inner.setExecutable?.(path, executable);
  }

  private show(path: string, self = true): void {
    if (self) this.shown.add(path);
    for (let i = path.indexOf("/"); i >= 0; i = path.indexOf("/", i + 1)) this.through.add(path.slice(0, i));
    if (!self && path !== "") this.through.add(path);
  }
  private inShown(path: string): boolean {
    if (this.shown.has(path) || this.shown.has("")) return true;
    for (let i = path.lastIndexOf("/"); i > 0; i = path.lastIndexOf("/", i - 1)) if (this.shown.has(path.slice(0, i))) return true;
    return false;
  }
  private visible(path: string): boolean {
    return this.through.has(path) || this.inShown(path);
  }
  private need(path: string): void {
    if (!this.visible(path)) throw hidden(path);
  }
  private exists(path: string): boolean {
    try {
      this.inner.stat(path);
      return true;
    } catch {
      return false;
    }
  }
  /** A new name in a shown directory; a hidden entry of that name is not overwritten. */
  private creating(path: string): void {
    this.need(parentOf(path));
    if (this.exists(path)) throw refused(path);
  }
}

function hidden(path: string): FsError {
  return new FsError("NOENT", `'${path}' does not exist (or is not among this step's declared inputs)`);
}

function refused(path: string): FsError {
  return new FsError("ACCES", `'${path}' exists but is not among this step's declared inputs or outputs`);
}
