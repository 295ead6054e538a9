// Node-only: git through the host `git` CLI (ls-remote for tags and refs; checkouts via build/).
import { execFile } from "node:child_process";
import { mkdir, rename, rm, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import semver from "semver";
import { nodeSourceHost } from "../builder/sources.node.ts";
import { treeChildren, type Tree } from "../builder/tree.ts";
import { EkaError } from "../errors.ts";

const run = promisify(execFile);

async function lsRemote(url: string, args: string[]): Promise<{ rev: string; ref: string }[]> {
  let stdout: string;
  try {
    ({ stdout } = await run("git", ["ls-remote", ...args, url], { env: { ...process.env, GIT_TERMINAL_PROMPT: "0" }, maxBuffer: 64 << 20 }));
  } catch (e) {
    const msg = e instanceof Error ? ((e as { stderr?: string }).stderr || e.message).trim() : String(e);
    throw new EkaError("E_GIT", `cannot list the refs of ${url}: ${msg}. Check the URL (e.g. file:///path/to/repo or https://…) and that git can reach it`);
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

/** The tree of `url` at `rev`, without `.git`. */
export async function gitTree(url: string, rev: string): Promise<Tree> {
  const host = nodeSourceHost();
  if (!host.gitCheckout) throw new EkaError("E_GIT", "this host cannot check out git repositories");
  return host.gitCheckout(url, rev);
}

/** Writes a tree to `dir` atomically (temp + rename); a concurrent writer's identical copy wins. */
export async function writeTreeTo(tree: Tree, dir: string): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(dirname(dir), { recursive: true });
  const walk = async (rel: string, host: string): Promise<void> => {
    await mkdir(host, { recursive: true });
    for (const name of treeChildren(tree, rel)) {
      const r = rel === "" ? name : `${rel}/${name}`;
      const e = tree.get(r);
      const h = join(host, name);
      if (!e) continue;
      if (e.type === "dir") await walk(r, h);
      else if (e.type === "symlink") await symlink(e.target, h);
      else await writeFile(h, e.data, { mode: e.executable ? 0o755 : 0o644 });
    }
  };
  await walk("", tmp);
  try {
    await rename(tmp, dir);
  } catch {
    await rm(tmp, { recursive: true, force: true });
  }
}
