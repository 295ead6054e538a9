/** Overlay: a read-only lower file system under a writable upper one (stub, filled in next). */
import type { FileSystem } from "./fs.ts";
import { ReadOnlyFS } from "./readonly.ts";

export class OverlayFS extends ReadOnlyFS {
  constructor(lower: FileSystem, readonly upper: FileSystem) {
    super(lower);
  }
}
