// Node's SourceHost: local files and directories from disk, git through the host `git` CLI.
import { resolve } from "node:path";
import { EkaError } from "../errors.ts";
import { hostPath, hostTree } from "../store/host-tree.node.ts";
import { MemoryTree } from "../store/memory-tree.ts";
import { withGitCheckout } from "../util/git.node.ts";
import type { SourceHost } from "./sources.ts";

/** `baseDir` resolves relative `path` sources (the atom's directory). */
export function nodeSourceHost(baseDir = process.cwd()): SourceHost {
  return {
    async readPath(path) {
      const abs = resolve(baseDir, path);
      const content = hostPath(abs);
      if (!content) throw new EkaError("E_SOURCE", `source path '${abs}' does not exist`);
      // Read into memory once, so the bytes that are hashed are the bytes that are copied.
      return content instanceof Uint8Array ? content : MemoryTree.copyOf(content);
    },
    gitCheckout: (url, rev) => withGitCheckout(url, rev, (dir) => MemoryTree.copyOf(hostTree(dir))),
  };
}

