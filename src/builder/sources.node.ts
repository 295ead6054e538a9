// Node's SourceHost: local files and directories from disk, git through the host `git` CLI.
import { existsSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { EkaError } from "../errors.ts";
import { hostPath, hostRealPath, hostTree, sourceTree, writeHostTree } from "../store/host-tree.node.ts";
import { MemoryTree } from "../store/memory-tree.ts";
import { withGitCheckout } from "../util/git.node.ts";
import { cacheDir } from "../util/host.node.ts";
import { withHostIo } from "../util/io-errors.ts";
import { HostWorkDir } from "./sandbox.node.ts";
import { httpMirror, type Mirror, type SourceHost } from "./sources.ts";

/**
 * `baseDir` resolves relative `path` sources (the atom's directory); `mirrors` are tried before
 * any url (default: `defaultMirrors()`).
 */
export function nodeSourceHost(baseDir = process.cwd(), mirrors: readonly string[] = defaultMirrors()): SourceHost {
  const timeout = Number(process.env.EKA_FETCH_TIMEOUT ?? "");
  return {
    mirrors: mirrors.map((m) => nodeMirror(m)),
    ...(timeout > 0 ? { fetchTimeoutMs: timeout * 1000 } : {}),
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
      withHostIo({}, () => writeHostTree(sourceTree(real), "", dst.abs(to)));
      return true;
    },
    gitCheckout: (url, rev) => withGitCheckout(url, rev, (dir) => MemoryTree.copyOf(hostTree(dir))),
  };
}

/**
 * The mirrors every build tries: EKA_MIRRORS (separated by spaces, or by `:` before an absolute
 * path or a URL: `/srv/mirror:https://cache.example/eka`), then the cache's own
 * mirror (defaultMirrorDir, where `eka mirror add` and scripts/fill-mirror.sh put files) if it exists.
 */
export function defaultMirrors(env: NodeJS.ProcessEnv = process.env): string[] {
  const own = defaultMirrorDir();
  return [...splitMirrors(env.EKA_MIRRORS ?? ""), ...(existsSync(own) ? [own] : [])];
}

/** $EKA_CACHE/mirror. */
export const defaultMirrorDir = (): string => join(cacheDir(), "mirror");

export function splitMirrors(list: string): string[] {
  // A ':' separates only where an absolute path or a URL follows (not a port, nor `://` itself).
  return list.split(/\s+|:(?=\/(?!\/)|[a-z][a-z0-9+.-]*:\/\/)/i).filter(Boolean);
}

/** A directory (absolute, or relative to the working directory) or an http(s) base URL. */
export function nodeMirror(spec: string): Mirror {
  if (/^https?:\/\//i.test(spec)) return httpMirror(spec);
  const dir = isAbsolute(spec) ? spec : resolve(spec);
  return {
    name: dir,
    async get(rel) {
      try {
        return new Uint8Array(readFileSync(join(dir, rel)));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "ENOTDIR") return null;
        throw e;
      }
    },
  };
}

const missing = (abs: string) => new EkaError("E_SOURCE", `source path '${abs}' does not exist`);
