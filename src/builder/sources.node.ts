// Node's SourceHost: local files and directories from disk, git through the host `git` CLI.
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { EkaError } from "../errors.ts";
import { hostPath, hostRealPath, hostTree, writeHostTree } from "../store/host-tree.node.ts";
import { MemoryTree } from "../store/memory-tree.ts";
import { withGitCheckout } from "../util/git.node.ts";
import { withHostIo } from "../util/io-errors.ts";
import { HostWorkDir } from "./sandbox.node.ts";
import type { SourceHost } from "./sources.ts";

/** `baseDir` resolves relative `path` sources (the atom's directory). */
export function nodeSourceHost(baseDir = process.cwd()): SourceHost {
  return {
    async readPath(path) {
      const abs = resolve(baseDir, path);
      const content = hostPath(abs);
      if (!content) throw missing(abs);
      // Read into memory once, so the bytes that are hashed are the bytes that are copied.
      return content instanceof Uint8Array ? content : MemoryTree.copyOf(content);
    },
    copyPath(path, dst, to) {
      if (!(dst instanceof HostWorkDir)) return false;
      const abs = resolve(baseDir, path);
      const real = hostRealPath(abs);
      if (real === null) throw missing(abs);
      if (!withHostIo({}, () => statSync(real).isDirectory())) return false;
      if (to.includes("/")) dst.mkdirp(to.slice(0, to.lastIndexOf("/")));
      withHostIo({}, () => writeHostTree(hostTree(real), "", dst.abs(to)));
      return true;
    },
    gitCheckout: (url, rev) => withGitCheckout(url, rev, (dir) => MemoryTree.copyOf(hostTree(dir))),
  };
}

const missing = (abs: string) => new EkaError("E_SOURCE", `source path '${abs}' does not exist`);
