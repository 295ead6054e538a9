// Node-only: git atoms through the host `git` CLI (util/git.node.ts): tags and refs from
// ls-remote, checkouts read into memory and written into the cache.
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import semver from "semver";
import { EkaError } from "../errors.ts";
import { hostTree, writeHostTree } from "../store/host-tree.node.ts";
import { MemoryTree } from "../store/memory-tree.ts";
import type { TreeReader } from "../store/types.ts";
import { git, gitMessage, withGitCheckout } from "../util/git.node.ts";
import { tempNameFor } from "../util/host.node.ts";

async function lsRemote(url: string, args: string[]): Promise<{ rev: string; ref: string }[]> {
  let stdout: string;
  try {
    ({ stdout } = await git(["ls-remote", ...args, url]));
  } catch (e) {
    throw new EkaError("E_GIT", `cannot list the refs of ${url}: ${gitMessage(e)}. Check the URL (e.g. file:///path/to/repo or https://…) and that git can reach it`);
  }
  return stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const [rev = "", ref = ""] = l.split("\t");
      return { rev, ref };
    });
}

export interface Tag {
  tag: string;
  version: string;
  /** The commit (annotated tags are peeled). */
  rev: string;
}

/** Tags of `url` that are semver versions (`v1.2.3` or `1.2.3`). */
export async function semverTags(url: string): Promise<Tag[]> {
  const refs = await lsRemote(url, ["--tags"]);
  const byTag = new Map<string, string>();
  for (const { rev, ref } of refs) {
    const m = /^refs\/tags\/(.+?)(\^\{\})?$/.exec(ref);
    if (!m || !m[1]) continue;
    // A peeled entry (^{}) names the commit an annotated tag points at; it wins.
    if (m[2] || !byTag.has(m[1])) byTag.set(m[1], rev);
  }
  const tags: Tag[] = [];
  for (const [tag, rev] of byTag) {
    const v = semver.valid(tag.replace(/^v/, ""));
    if (v) tags.push({ tag, version: v, rev });
  }
  return tags;
}

/** The highest tag whose version satisfies `range`; E_NO_MATCHING_VERSION lists what exists. */
export async function highestMatching(url: string, range: string, what: string): Promise<Tag> {
  const tags = await semverTags(url);
  const best = semver.maxSatisfying(
    tags.map((t) => t.version),
    range,
  );
  const tag = tags.find((t) => t.version === best);
  if (!tag) {
    const have = tags.map((t) => t.version).sort(semver.compare).join(", ") || "no semver tags";
    throw new EkaError("E_NO_MATCHING_VERSION", `${what}: no tag of ${url} satisfies '${range}' (it has: ${have}). Widen the version range or tag a release`);
  }
  return tag;
}

/** The commit `ref` (branch, tag or full commit) names in `url`. */
export async function resolveRef(url: string, ref: string, what: string): Promise<string> {
  if (/^[0-9a-f]{40}$/.test(ref)) return ref;
  const refs = await lsRemote(url, []);
  const cands = [ref, `refs/heads/${ref}`, `refs/tags/${ref}^{}`, `refs/tags/${ref}`];
  for (const c of cands) {
    const hit = refs.find((r) => r.ref === c);
    if (hit) return hit.rev;
  }
  throw new EkaError("E_GIT_REF", `${what}: ${url} has no branch or tag '${ref}'. Use an existing branch, tag or a full commit hash`);
}

/** The tree of `url` at `rev`, without `.git`, in memory. */
export function gitTree(url: string, rev: string): Promise<MemoryTree> {
  return withGitCheckout(url, rev, (dir) => MemoryTree.copyOf(hostTree(dir)));
}

/** Writes a tree to `dir` atomically (temp + rename); a concurrent writer's identical copy wins. */
export async function writeTreeTo(tree: TreeReader, dir: string): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  const tmp = tempNameFor(dir);
  try {
    writeHostTree(tree, "", tmp);
    await rename(tmp, dir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    // Only a concurrent writer's finished copy may stand in for ours.
    if (!(await stat(dir).catch(() => null))) throw e;
  }
}
