// Node's SourceHost: local files from disk, git through the host `git` CLI.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, readdir, readlink, lstat, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { EkaError } from "../errors.ts";
import type { SourceHost } from "./sources.ts";
import { newTree, treePut, type Tree } from "./tree.ts";

const run = promisify(execFile);

/** `baseDir` resolves relative `path` sources (the atom's directory). */
export function nodeSourceHost(baseDir = process.cwd()): SourceHost {
  return {
    async readPath(path) {
      const abs = resolve(baseDir, path);
      const st = await lstat(abs).catch(() => {
        throw new EkaError("E_SOURCE", `source path '${abs}' does not exist`);
      });
      if (st.isFile()) return new Uint8Array(await readFile(abs));
      return readDirTree(abs, new Set());
    },
    async gitCheckout(url, rev) {
      const dir = await mkdtemp(join(tmpdir(), "eka-git-"));
      try {
        const git = (...args: string[]) => run("git", ["-C", dir, ...args], { env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } });
        await git("init", "-q");
        try {
          await git("fetch", "-q", "--depth", "1", url, rev);
        } catch {
          // Some servers refuse fetching a bare commit; a full fetch finds it.
          await git("fetch", "-q", url, "+refs/heads/*:refs/remotes/origin/*");
        }
        await git("-c", "advice.detachedHead=false", "checkout", "-q", rev).catch((e: unknown) => {
          throw new EkaError("E_SOURCE", `git ${url}: commit ${rev} not found (${e instanceof Error ? e.message.trim() : String(e)})`);
        });
        return await readDirTree(dir, new Set([".git"]));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

export async function readDirTree(root: string, skipTop: Set<string>): Promise<Tree> {
  const tree = newTree();
  const walk = async (rel: string) => {
    for (const d of await readdir(join(root, rel), { withFileTypes: true })) {
      if (rel === "" && skipTop.has(d.name)) continue;
      const r = rel === "" ? d.name : `${rel}/${d.name}`;
      const abs = join(root, r);
      if (d.isDirectory()) {
        treePut(tree, r, { type: "dir" });
        await walk(r);
      } else if (d.isSymbolicLink()) {
        treePut(tree, r, { type: "symlink", target: await readlink(abs) });
      } else if (d.isFile()) {
        const st = await lstat(abs);
        treePut(tree, r, { type: "file", data: new Uint8Array(await readFile(abs)), executable: (st.mode & 0o100) !== 0 });
      }
    }
  };
  await walk("");
  return tree;
}
