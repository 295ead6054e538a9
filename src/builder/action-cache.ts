// The action cache: a step's key (tool, args, env, cwd, the store paths it can see and the digest
// of the inputs it declared), and its outputs and log saved to the store under that key and
// restored from it. The key names store paths by content: the package's own store path is written
// as `$out`, and every input store path as `@<its cid>`, so a step whose inputs did not change hits
// the cache although the package's pid (and $out) did, or a dependency was rebuilt (new pid) with
// the same bytes: early cutoff. An entry records the paths it was made with; restored where those
// paths are now others, outputs that mention an old one (its hash part) are not reused: the step
// reruns. A step sees only what its key covers: `declaredInputs` also says which work-directory
// paths it matched, and the step's view of /build and $out shows only those (steps.ts).
import { canonicalize } from "json-canonicalize";
import { EkaError } from "../errors.ts";
import type { Digest } from "../store/digest.ts";
import { MemoryTree } from "../store/memory-tree.ts";
import type { Store } from "../store/store.ts";
import type { TreeReader } from "../store/types.ts";
import { blake3, toHex } from "../util/blake3.ts";
import type { Locate, PackageSandbox } from "./package-sandbox.ts";
import { scanReferences } from "./references.ts";
import { copyInto, join } from "./sandbox.ts";

/**
 * 2: steps see only their declared inputs, so entries made when they saw all of /build are not trusted.
 * 3: input store paths are keyed by content (cid) and entries record the paths they were made with.
 */
export const ACTION_KEY_VERSION = 3;

export interface ActionKeyParts {
  tool: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Declared inputs, each with the digest of what it matched. */
  inputs: [string, string][];
  outputs: string[];
  /**
   * Every store path the sandbox shows (sorted): immutable, so the paths alone cover what a step
   * could read there, even one it did not declare.
   */
  storePaths: string[];
}

/** `cidOf` gives an input store path's content; a path it does not know stays named by path. */
export function actionKey(parts: ActionKeyParts, outPath: string, cidOf: (storePath: string) => string | undefined = () => undefined): string {
  // Each store path with the name it is keyed by, in the order of those names: in path order, a
  // rebuilt input whose new hash sorts on the other side of another input's would move in the
  // list, and the step would miss the cache with the same bytes.
  const named = parts.storePaths.map((p): [string, string] => {
    const cid = cidOf(p);
    return [p, cid ? `@${cid}` : p];
  }).sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  let j = canonicalize({ v: ACTION_KEY_VERSION, ...parts, storePaths: named.map(([p]) => p) }).split(outPath).join("$out");
  for (const [p, name] of named) if (name !== p) j = j.split(p).join(name);
  return toHex(blake3(new TextEncoder().encode(j)));
}

/** The store paths an action entry was made with: its package's `$out` and its input closure. */
export interface ActionPaths {
  out: string;
  closure: readonly string[];
}

/** What a step's declared inputs match in the work directories: paths relative to each. */
export interface MatchedPaths {
  build: string[];
  out: string[];
}

/**
 * A step's declared inputs (`$out` substituted), each with the digest of what it matches now: the
 * content under /build or $out, or "store" for an immutable store path; and the paths matched.
 */
export function declaredInputs(raw: readonly string[], stepId: string, sandbox: PackageSandbox): { inputs: [string, string][]; matched: MatchedPaths } {
  const matched: MatchedPaths = { build: [], out: [] };
  const inputs = raw.map((r): [string, string] => {
    const g = sandbox.sub(r);
    const at = sandbox.locate(g.replace(/\/[^/]*[*?[].*$/, "") || g);
    if (!at) throw new EkaError("E_STEP_INPUT", `package ${sandbox.name}: step '${stepId}' declares input '${r}', which is neither under /build, $out nor an input store path`);
    if ("store" in at) return [g, "store"];
    const inOut = g === sandbox.outPath || g.startsWith(sandbox.outPath + "/");
    const rel = inOut ? g.slice(sandbox.outPath.length + 1) : g.slice(7);
    // A named file under /build is a source file or an earlier step's output: missing, it is a
    // wrong name in the package's source list, reported here rather than by the tool.
    if (!inOut && !/[*?[]/.test(g) && !at.dir.reader().stat(rel)) {
      throw new EkaError("E_MISSING_INPUT", `package ${sandbox.name}: step '${stepId}' needs ${g}, which no source of the package holds and no earlier step made`, { package: sandbox.name, guest: g });
    }
    // A source tree's headers are the same for each of its compile steps: digested once, until
    // a step writes below the pattern's directory (forgetDigests).
    const memo = sandbox.digests.get(g);
    const hit = memo ?? { digest: "", matched: [], base: g.replace(/\/[^/]*[*?[].*$/, "") };
    if (!memo) {
      hit.digest = digestMatches(at.dir.reader(), rel, hit.matched);
      sandbox.digests.set(g, hit);
    }
    (inOut ? matched.out : matched.build).push(...hit.matched);
    return [g, hit.digest];
  });
  return { inputs, matched };
}

/**
 * Drops the remembered digests a step writing `outputs` may have changed: every pattern whose
 * directory holds one of them or lies below one (all, when the step declared no outputs).
 */
export function forgetDigests(sandbox: PackageSandbox, outputs: readonly string[]): void {
  if (outputs.length === 0) return sandbox.digests.clear();
  for (const [g, { base }] of sandbox.digests) {
    if (outputs.some((o) => o === base || o.startsWith(base + "/") || base.startsWith(o + "/"))) sandbox.digests.delete(g);
  }
}

/**
 * Stores a step's outputs as one tree (`o/0`, `o/1`, … in declaration order, plus its log and the
 * paths it was made with); returns its cid.
 */
export function saveOutputs(store: Store, stepId: string, outputs: readonly string[], locate: Locate, text: string, paths: ActionPaths): string {
  const logTree = new MemoryTree();
  logTree.put("log", { kind: "file", data: new TextEncoder().encode(text), executable: false });
  logTree.put("paths", { kind: "file", data: new TextEncoder().encode(JSON.stringify([paths.out, ...paths.closure])), executable: false });
  const readers: { reader: TreeReader; rel: string }[] = outputs.map((o) => {
    const at = locate(o);
    if (!at || !("dir" in at) || !at.dir.reader().stat(at.rel)) {
      throw new EkaError("E_STEP_OUTPUT", `step '${stepId}' declares output '${o}' but did not create it`);
    }
    return { reader: at.dir.reader(), rel: at.rel };
  });
  const pick = (p: string): { r: TreeReader; rel: string } => {
    const [, idx, ...rest] = p.split("/");
    const r = readers[Number(idx)] as (typeof readers)[number];
    return { r: r.reader, rel: join(r.rel, rest.join("/")) };
  };
  const combined: TreeReader = {
    stat: (p) => (p.startsWith("o/") ? pick(p).r.stat(pick(p).rel) : (logTree.stat(p) ?? (p === "o" ? { kind: "directory", size: 0, executable: false } : null))),
    readdir: (p) => (p === "" ? ["log", "o", "paths"] : p === "o" ? readers.map((_, i) => String(i)) : pick(p).r.readdir(pick(p).rel)),
    readFile: (p) => (p.startsWith("o/") ? pick(p).r.readFile(pick(p).rel) : logTree.readFile(p)),
    readlink: (p) => pick(p).r.readlink(pick(p).rel),
  };
  return store.addTree(combined);
}

/**
 * Restores a cached action's outputs; false if its objects are gone, or if it was made with store
 * paths other than `now`'s (same contents) and its outputs mention one of those: the step reruns.
 */
export function restoreOutputs(store: Store, cid: string, outputs: readonly string[], locate: Locate, now: ActionPaths): boolean {
  try {
    const reader = store.tree(cid as Digest);
    if (!reader.stat("log") || !reader.stat("paths")) return false;
    const [out, ...closure] = JSON.parse(new TextDecoder().decode(reader.readFile("paths"))) as string[];
    const current = new Set([now.out, ...now.closure]);
    const gone = [out as string, ...closure].filter((p) => !current.has(p));
    if (gone.length && scanReferences(reader, gone, "o").length) return false;
    outputs.forEach((o, i) => {
      const at = locate(o);
      if (!at || !("dir" in at)) throw new Error("unreachable output");
      at.dir.remove(at.rel);
      copyInto(reader, `o/${i}`, at.dir, at.rel);
    });
    return true;
  } catch {
    return false;
  }
}

/**
 * Digest of what `pattern` matches in `tree` (relative paths; a pattern may end in a glob segment
 * such as `**\/*.h` or `*.c`). Paths and contents both count; a missing exact path counts as
 * missing, so creating it later changes the key. `matched` receives what the digest covers: an
 * exact path (with all below it), or each file or symlink a glob kept.
 */
export function digestMatches(tree: TreeReader, pattern: string, matched?: string[]): string {
  const star = pattern.search(/[*?[]/);
  const parts: string[] = [];
  if (star < 0) {
    walk(tree, pattern, parts, () => true);
    matched?.push(pattern);
  } else {
    const slash = pattern.lastIndexOf("/", star);
    const base = slash < 0 ? "" : pattern.slice(0, slash);
    const re = globRegExp(slash < 0 ? pattern : pattern.slice(slash + 1));
    walk(tree, base, parts, (rel) => re.test(rel), base, matched);
  }
  return toHex(blake3(new TextEncoder().encode(parts.join("\n"))));
}

function walk(tree: TreeReader, path: string, out: string[], keep: (rel: string) => boolean, base = path, matched?: string[]): void {
  const st = tree.stat(path);
  if (!st) {
    if (path === base) out.push(`missing ${path}`);
    return;
  }
  const rel = path === base ? "" : path.slice(base === "" ? 0 : base.length + 1);
  if (st.kind === "directory") {
    for (const n of tree.readdir(path).sort()) walk(tree, path === "" ? n : `${path}/${n}`, out, keep, base, matched);
  } else if (rel === "" || keep(rel)) {
    matched?.push(path);
    const d = st.kind === "symlink" ? `->${tree.readlink(path)}` : `${st.executable ? "x" : "f"}:${toHex(blake3(tree.readFile(path)))}`;
    out.push(`${rel} ${d}`);
  }
}

function globRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === "*" && glob[i + 1] === "*") {
      // `**/` matches zero or more directories.
      re += glob[i + 2] === "/" ? "(?:.*/)?" : ".*";
      i += glob[i + 2] === "/" ? 2 : 1;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}
