/** A file system on a real host directory (Node only; stub, filled in next). */
import { ReadOnlyFS } from "./readonly.ts";
import { MemoryFS } from "./memfs.ts";

export class NodeDirFS extends ReadOnlyFS {
  constructor(readonly hostDir: string, _opts: { readonly?: boolean } = {}) {
    super(new MemoryFS());
  }
}
