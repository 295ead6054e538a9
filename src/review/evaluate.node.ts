// Node-only: evaluates a git revision of a repository of atoms — checked out in a temporary
// `git worktree` (removed afterwards; the user's tree is untouched), every atom.toml in it turned
// into IR and pids with frozen locks, nothing built. An atom that does not evaluate is an
// EvaluationError row; the run goes on.
import { readdirSync, readFileSync, realpathSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { MANIFEST_FILE } from "../atom/manifest.ts";
import { closeLoadSession, openLoadSession, type AtomNode, type LoadSession } from "../atom/resolve.node.ts";
import { EkaError, isEkaError } from "../errors.ts";
import { pidOf, storePathOf } from "../ir/pid.ts";
import type { PackageIR } from "../ir/types.ts";
import { git, gitMessage } from "../util/git.node.ts";
import { prepareAtom, type PreparedAtom } from "../cli/atoms.ts";
import type { Evaluation } from "./classify.ts";

export interface SideEvaluation extends Evaluation {
  commit: string;
  /** The worktree the revision is checked out in, while the review runs. */
  root: string;
  /** Per `id\0host`: what buildPreparedEach takes to build that atom alone. */
  prepared: Map<string, PreparedAtom>;
}

/** The top of the git work tree holding `dir`; E_REVIEW_REPO when there is none. */
export async function repoRoot(dir: string): Promise<string> {
  try {
    return realpathSync((await git(["rev-parse", "--show-toplevel"], dir)).stdout.trim());
  } catch (e) {
    throw new EkaError("E_REVIEW_REPO", `${dir} is not inside a git repository (${gitMessage(e)}); run eka review in the repository of atoms, or pass --repo DIR`);
  }
}

/** The commit `rev` names in `repo`; E_REVIEW_REV when it names none. */
export async function commitOf(repo: string, rev: string): Promise<string> {
  try {
    return (await git(["rev-parse", "--verify", "--quiet", `${rev}^{commit}`], repo)).stdout.trim();
  } catch {
    throw new EkaError("E_REVIEW_REV", `'${rev}' names no commit in ${repo}; give a branch, tag or commit (git log --oneline shows them)`);
  }
}

/**
 * Checks `commit` out into a temporary worktree of `repo`, runs `use` on it, and removes the
 * worktree (and git's record of it) whatever happens.
 */
export async function withWorktree<T>(repo: string, commit: string, use: (dir: string) => Promise<T>): Promise<T> {
  const parent = await mkdtemp(join(tmpdir(), "eka-review-"));
  const dir = join(parent, "tree");
  try {
    await git(["-c", "advice.detachedHead=false", "worktree", "add", "--detach", "--quiet", dir, commit], repo).catch((e: unknown) => {
      throw new EkaError("E_REVIEW_REPO", `cannot check out ${commit} in a worktree of ${repo}: ${gitMessage(e)}`);
    });
    return await use(realpathSync(dir));
  } finally {
    await git(["worktree", "remove", "--force", dir], repo).catch(() => undefined);
    await rm(parent, { recursive: true, force: true });
    await git(["worktree", "prune"], repo).catch(() => undefined);
  }
}

/** Every directory below `root` holding an atom.toml (dot-directories and node_modules left out), sorted. */
export function findAtoms(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (entries.some((e) => e.name === MANIFEST_FILE && e.isFile())) out.push(dir);
    for (const e of entries) if (e.isDirectory() && !e.name.startsWith(".") && e.name !== "node_modules") walk(join(dir, e.name));
  };
  walk(root);
  return out.sort();
}

/** Evaluates every atom of the worktree `root` (the checkout of `commit`). */
export async function evaluateTree(root: string, commit: string): Promise<SideEvaluation> {
  const result: SideEvaluation = { commit, root, atoms: [], errors: [], prepared: new Map() };
  // One session for the revision: a dependency shared by many atoms is loaded and hashed once.
  const session = openLoadSession();
  try {
    await evaluateAll(root, result, session);
  } finally {
    closeLoadSession(session);
  }
  return result;
}

async function evaluateAll(root: string, result: SideEvaluation, session: LoadSession): Promise<void> {
  for (const dir of findAtoms(root)) {
    const rel = relative(root, dir).split("\\").join("/");
    let p: PreparedAtom;
    try {
      p = await prepareAtom(dir, {}, { frozen: true, write: false, session });
    } catch (e) {
      if (!isEkaError(e)) throw e;
      result.errors.push({ id: idFromText(dir) ?? rel, host: "*", dir: rel, code: e.code, message: e.message.split(root + "/").join("") });
      continue;
    }
    const m = p.graph.manifest.atom;
    for (const ir of p.roots) {
      const atom = { id: m.id, version: m.version, host: ir.platform.host, dir: rel, pid: pidOf(ir), storePath: storePathOf(ir), deps: depIds(ir) };
      result.atoms.push({ atom, ir });
      result.prepared.set(`${m.id}\0${atom.host}`, { graph: p.graph as AtomNode, roots: [ir] });
    }
  }
}

/**
 * Gives an evaluation error of one side the hosts its atom has on the other side, so that a broken
 * manifest is a row of that atom (not an add or a remove).
 */
export function matchErrorHosts(side: Evaluation, other: Evaluation): void {
  const errors: Evaluation["errors"] = [];
  for (const e of side.errors) {
    const twins = other.atoms.filter((a) => a.atom.id === e.id || a.atom.dir === e.dir);
    if (twins.length === 0) errors.push(e);
    for (const t of twins) errors.push({ ...e, id: t.atom.id, host: t.atom.host });
  }
  side.errors = errors;
}

/** The ids of the atoms an IR depends on, transitively. */
function depIds(ir: PackageIR, out = new Set<string>()): string[] {
  for (const v of Object.values(ir.inputs)) {
    if (typeof v === "string" || out.has(v.name)) continue;
    out.add(v.name);
    depIds(v, out);
  }
  return [...out].sort();
}

/** `id = "…"` of an atom.toml that did not parse, read as text, so its error row is named by it. */
function idFromText(dir: string): string | null {
  try {
    const m = /^\s*id\s*=\s*"([^"]+)"/m.exec(readFileSync(join(dir, MANIFEST_FILE), "utf8"));
    return m ? (m[1] as string) : null;
  } catch {
    return null;
  }
}
