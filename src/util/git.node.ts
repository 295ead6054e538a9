// Node-only: the host `git` CLI, which never prompts for credentials here.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { EkaError } from "../errors.ts";

const exec = promisify(execFile);

/** Runs `git args` (in `cwd` if given); rejects with git's error, whose `stderr` says why. */
export function git(args: string[], cwd?: string): Promise<{ stdout: string; stderr: string }> {
  return exec("git", cwd ? ["-C", cwd, ...args] : args, { env: { ...process.env, GIT_TERMINAL_PROMPT: "0" }, maxBuffer: 64 << 20 });
}

/** git's own words for a failure, for messages. */
export function gitMessage(e: unknown): string {
  return e instanceof Error ? ((e as { stderr?: string }).stderr || e.message).trim() : String(e);
}

/**
 * Checks out commit `rev` of `url` into a fresh temporary directory, without `.git`, hands the
 * directory to `read`, and removes it afterwards. A commit that can't be fetched is E_SOURCE.
 */
export async function withGitCheckout<T>(url: string, rev: string, read: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "eka-git-"));
  try {
    await git(["init", "-q"], dir);
    try {
      await git(["fetch", "-q", "--depth", "1", url, rev], dir);
    } catch {
      // Some servers refuse fetching a bare commit; a full fetch finds it.
      await git(["fetch", "-q", url, "+refs/heads/*:refs/remotes/origin/*"], dir).catch((e: unknown) => {
        throw new EkaError("E_SOURCE", `git ${url}: cannot fetch (${gitMessage(e)}); check the URL and that git can reach it`);
      });
    }
    await git(["-c", "advice.detachedHead=false", "checkout", "-q", rev], dir).catch((e: unknown) => {
      throw new EkaError("E_SOURCE", `git ${url}: commit ${rev} not found (${gitMessage(e)})`);
    });
    await rm(join(dir, ".git"), { recursive: true, force: true });
    return await read(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
