/**
 * `opfs:NAME` — a store in the browser's Origin Private File System, laid out as the file store
 * is (`objects/{blob,directory}/<2 hex>/<digest>`, `info/<basename>.json`,
 * `realisations/<pid>.json`, the `eka-store` marker, `tmp/`). The Backend interface is synchronous
 * (WASI reads are) and OPFS is not, so the store is read whole into memory when opened and every
 * write is applied in memory at once and queued to OPFS in order: written under `tmp/` and then
 * moved into place, so a reload or a closed tab never leaves half a file where a reader looks.
 * `flush()` waits for the queue; the Store above re-hashes every object it reads, so a file
 * changed behind the store's back is E_CORRUPT_OBJECT, not wrong bytes.
 */
import { EkaError } from "../../errors.ts";
import type { Backend, ObjectKind } from "../backend.ts";
import { isDigest, type Digest } from "../digest.ts";
import { parseStorePath } from "../store-path.ts";
import type { PathInfo, Realisation } from "../types.ts";
import { MemoryBackend } from "./memory.ts";

const MARKER = "eka-store";
const KINDS: ObjectKind[] = ["blob", "directory"];

type Dir = FileSystemDirectoryHandle;
type Op = { write: string[]; bytes: Uint8Array } | { remove: string[] };

export class OpfsBackend implements Backend {
  readonly address: string;
  private readonly mem = new MemoryBackend();
  private queue: Promise<void> = Promise.resolve();
  private failure: unknown;
  private pending = 0;
  private tmpCount = 0;
  /**
   * The builder's action cache (action key → cid of the step's stored outputs), kept under
   * `actions/` as the file store's build state is, so a rebuild after a reload reuses steps.
   */
  readonly actions = new Map<string, string>();

  private constructor(
    readonly name: string,
    private readonly root: Dir,
  ) {
    this.address = `opfs:${name}`;
  }

  /**
   * Opens (creating unless `create` is false) the store `name` under the origin's OPFS root.
   * A directory holding other things is E_NOT_A_STORE; a missing one with `create: false` E_NO_STORE.
   */
  static async open(name: string, opts: { create?: boolean; root?: Dir } = {}): Promise<OpfsBackend> {
    if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new EkaError("E_STORE_ADDRESS", `opfs:${name}: a store name is letters, digits, '.', '_' and '-' (e.g. opfs:eka-store)`);
    const top = opts.root ?? (await navigator.storage.getDirectory());
    let root: Dir;
    try {
      root = await top.getDirectoryHandle(name, { create: opts.create !== false });
    } catch {
      throw new EkaError("E_NO_STORE", `opfs:${name}: no such store in this origin's private file system; build something first, or open it to write`);
    }
    const entries: string[] = [];
    for await (const [k] of entriesOf(root)) entries.push(k);
    if (!entries.includes(MARKER)) {
      if (entries.some((e) => e !== "tmp")) throw new EkaError("E_NOT_A_STORE", `opfs:${name} holds ${entries.join(", ")} but no '${MARKER}' marker; it is not an eka store — pick another name`);
      if (opts.create === false) throw new EkaError("E_NO_STORE", `opfs:${name} is empty; build something first`);
      await writeFile(root, [MARKER], new TextEncoder().encode("eka store 1\n"));
    }
    const b = new OpfsBackend(name, root);
    await b.load();
    return b;
  }

  /** Resolves once everything written so far is in OPFS; rejects with the first failed write. */
  async flush(): Promise<void> {
    await this.queue;
    if (this.failure) throw this.failure;
  }

  /** Writes queued but not yet in OPFS. */
  get unflushed(): number {
    return this.pending;
  }

  hasObject(kind: ObjectKind, d: Digest): boolean {
    return this.mem.hasObject(kind, d);
  }
  readObject(kind: ObjectKind, d: Digest): Uint8Array | null {
    return this.mem.readObject(kind, d);
  }
  writeObject(kind: ObjectKind, d: Digest, bytes: Uint8Array): void {
    if (this.mem.hasObject(kind, d)) return;
    this.mem.writeObject(kind, d, bytes);
    this.enqueue({ write: objectPath(kind, d), bytes: this.mem.readObject(kind, d) as Uint8Array });
  }
  deleteObject(kind: ObjectKind, d: Digest): void {
    this.mem.deleteObject(kind, d);
    this.enqueue({ remove: objectPath(kind, d) });
  }
  listObjects(kind: ObjectKind): Digest[] {
    return this.mem.listObjects(kind);
  }
  objectSize(kind: ObjectKind, d: Digest): number | null {
    return this.mem.objectSize(kind, d);
  }

  readPathInfo(basename: string): PathInfo | null {
    return this.mem.readPathInfo(basename);
  }
  writePathInfo(info: PathInfo): void {
    this.mem.writePathInfo(info);
    this.enqueue({ write: ["info", `${parseStorePath(info.storePath).basename}.json`], bytes: json(info) });
  }
  deletePathInfo(basename: string): void {
    this.mem.deletePathInfo(basename);
    this.enqueue({ remove: ["info", `${basename}.json`] });
  }
  listPathInfo(): string[] {
    return this.mem.listPathInfo();
  }

  readRealisation(pid: Digest): Realisation | null {
    return this.mem.readRealisation(pid);
  }
  writeRealisation(r: Realisation): void {
    this.mem.writeRealisation(r);
    this.enqueue({ write: ["realisations", `${r.pid}.json`], bytes: json(r) });
  }
  deleteRealisation(pid: Digest): void {
    this.mem.deleteRealisation(pid);
    this.enqueue({ remove: ["realisations", `${pid}.json`] });
  }
  pidsForCid(cid: Digest): Digest[] {
    return this.mem.pidsForCid(cid);
  }
  listRealisations(): Digest[] {
    return this.mem.listRealisations();
  }

  putAction(key: string, cid: string): void {
    if (!/^[0-9a-f]{16,128}$/.test(key) || this.actions.get(key) === cid) return;
    this.actions.set(key, cid);
    this.enqueue({ write: ["actions", key], bytes: new TextEncoder().encode(cid) });
  }

  /** One tab's worker owns the store (it is read whole at open); the lock orders this thread's writers. */
  withLock<T>(fn: () => T): T {
    return this.mem.withLock(fn);
  }
  close(): void {}

  private enqueue(op: Op): void {
    this.pending++;
    this.queue = this.queue.then(async () => {
      if (this.failure) return;
      try {
        if ("write" in op) await writeFile(this.root, op.write, op.bytes, `${this.tmpCount++}`);
        else await removeFile(this.root, op.remove);
      } catch (e) {
        this.failure = new EkaError("E_HOST_IO", `${this.address}: writing ${("write" in op ? op.write : op.remove).join("/")} to the origin's private file system failed (${e instanceof Error ? e.message : String(e)}); the browser may be out of storage quota — free some (or clear this site's data) and build again`);
      } finally {
        this.pending--;
      }
    });
  }

  /** Reads every object, path info and realisation into memory; leftovers in tmp/ are removed. */
  private async load(): Promise<void> {
    await this.root.removeEntry("tmp", { recursive: true }).catch(() => {});
    const objects = await this.root.getDirectoryHandle("objects", { create: true });
    const reads: Promise<void>[] = [];
    for (const kind of KINDS) {
      const kd = await objects.getDirectoryHandle(kind, { create: true });
      for await (const [prefix, sub] of entriesOf(kd)) {
        if (sub.kind !== "directory") continue;
        for await (const [name, h] of entriesOf(sub as Dir)) {
          if (h.kind !== "file" || !isDigest(name)) continue;
          reads.push(
            (h as FileSystemFileHandle)
              .getFile()
              .then((f) => f.arrayBuffer())
              .then((buf) => this.mem.writeObject(kind, name as Digest, new Uint8Array(buf))),
          );
        }
        void prefix;
      }
    }
    await Promise.all(reads);
    const actions = await this.root.getDirectoryHandle("actions", { create: true });
    for await (const [key, h] of entriesOf(actions)) {
      if (h.kind === "file") this.actions.set(key, (await (await (h as FileSystemFileHandle).getFile()).text()).trim());
    }
    for (const [dir, put] of [
      ["info", (v: unknown) => this.mem.writePathInfo(v as PathInfo)],
      ["realisations", (v: unknown) => this.mem.writeRealisation(v as Realisation)],
    ] as const) {
      const d = await this.root.getDirectoryHandle(dir, { create: true });
      for await (const [name, h] of entriesOf(d)) {
        if (h.kind !== "file" || !name.endsWith(".json")) continue;
        const text = await (await (h as FileSystemFileHandle).getFile()).text();
        try {
          put(JSON.parse(text));
        } catch {
          throw new EkaError("E_HOST_IO", `${this.address}: ${dir}/${name} is not valid JSON; delete it (or the store, from the site's data) and build again`);
        }
      }
    }
  }
}

/** TypeScript's DOM library lacks the handles' async iteration, which every browser with OPFS has. */
function entriesOf(d: Dir): AsyncIterable<[string, FileSystemHandle]> {
  return (d as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries();
}

function objectPath(kind: ObjectKind, d: Digest): string[] {
  return ["objects", kind, d.slice(0, 2), d];
}

function json(v: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(v));
}

async function dirOf(root: Dir, parts: string[], create: boolean): Promise<Dir> {
  let d = root;
  for (const p of parts) d = await d.getDirectoryHandle(p, { create });
  return d;
}

/** Written whole under tmp/, then moved to its name: a reader sees the old file, the new one, or none. */
async function writeFile(root: Dir, path: string[], bytes: Uint8Array, tmpName = "0"): Promise<void> {
  const tmp = await root.getDirectoryHandle("tmp", { create: true });
  const name = `${path[path.length - 1]}.${tmpName}`;
  const fh = await tmp.getFileHandle(name, { create: true });
  const w = await fh.createWritable();
  await w.write(bytes as Uint8Array<ArrayBuffer>);
  await w.close();
  const dest = await dirOf(root, path.slice(0, -1), true);
  await (fh as FileSystemFileHandle & { move(dir: Dir, name: string): Promise<void> }).move(dest, path[path.length - 1] as string);
}

async function removeFile(root: Dir, path: string[]): Promise<void> {
  try {
    const d = await dirOf(root, path.slice(0, -1), false);
    await d.removeEntry(path[path.length - 1] as string);
  } catch (e) {
    if ((e as { name?: string }).name !== "NotFoundError") throw e;
  }
}
