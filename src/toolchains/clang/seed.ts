/**
 * The seed's sysroot (`llvm-resources.tar`: wasi-libc, libc++, clang's resource headers), as
 * entries any file system can be filled from. No host tar: modern-tar parses it in memory.
 */
import { unpackTar } from "modern-tar";
import { EkaError } from "../../errors.ts";
import { MemoryFS, ReadOnlyFS, mkdirp, writeFile, type FileSystem } from "../../runtime/index.ts";

/** A sysroot entry: `data` is undefined for a directory. Paths are relative to the guest's /usr. */
export interface SysrootEntry {
  path: string;
  data?: Uint8Array;
}

export async function sysrootEntries(tar: Uint8Array): Promise<SysrootEntry[]> {
  const out: SysrootEntry[] = [];
  for (const e of await unpackTar(tar)) {
    const path = e.header.name.replace(/^\.\//, "").replace(/\/+$/, "");
    if (path === "") continue;
    if (path.startsWith("/") || path.split("/").includes("..")) {
      throw new EkaError("E_SEED_CORRUPT", `the seed sysroot tar holds an entry outside /usr ('${e.header.name}'); reinstall @yowasp/clang`);
    }
    if (e.header.type === "directory") out.push({ path });
    else if (e.header.type === "file" || e.header.type === undefined) out.push({ path, data: e.data ?? new Uint8Array(0) });
    else throw new EkaError("E_SEED_CORRUPT", `the seed sysroot tar holds an unexpected ${e.header.type} entry '${e.header.name}'; reinstall @yowasp/clang`);
  }
  return out;
}

/**
 * The sysroot as a read-only in-memory file system (browsers and other hosts without a disk cache):
 * mount it at /usr.
 */
export async function sysrootMemoryFS(tar: Uint8Array): Promise<FileSystem> {
  const fs = new MemoryFS();
  for (const e of await sysrootEntries(tar)) {
    if (e.data === undefined) mkdirp(fs, e.path);
    else writeFile(fs, e.path, e.data);
  }
  return new ReadOnlyFS(fs);
}
