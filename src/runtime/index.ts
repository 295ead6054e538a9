export type { DirEntry, FileHandle, FileKind, FileSystem, OpenOptions, Stat, WalkEntry } from "./fs.ts";
export { FsError, baseName, joinPath, mkdirp, normalizePath, parentOf, readFile, walk, writeFile } from "./fs.ts";
export { MemoryFS, type MemoryFSOptions, tickingClock } from "./memfs.ts";
export { ReadOnlyFS } from "./readonly.ts";
export { OverlayFS } from "./overlay.ts";
export { FilteredFS, type ViewSpec } from "./filtered.ts";
export type { Preopen, RunOptions, RunResult, StdinReader } from "./options.ts";
export { WasiHost, runWasi, checkImports } from "./wasi.ts";
export { Errno, type ErrnoName } from "./abi.ts";
