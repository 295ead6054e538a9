// Node-only: the host `git` CLI, which never prompts for credentials here.
import { execFile, execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { EkaError } from "../errors.ts";

const exec = promisify(execFile);

/** Runs `git args` (in `cwd` if given); rejects with git's error, whose `stderr` says why. */
export function git(args: string[], cwd?: string): Promise<{ stdout: string; stderr: string }> {
  return exec("git", cwd ? ["-C", cwd, ...args] : args, { env: { ...process.env, GIT_TERMINAL_PROMPT: "0" }, maxBuffer: 64 << 20 });
}

/**
 * Runs `git -C cwd args` synchronously (for readers that are synchronous, such as a host tree's);
 * its stdout, or null when git is missing or fails. The variables that would point git at another
 * repository than the one holding `cwd` (set inside git hooks, say) are left out.
 */
export function gitSync(args: string[], cwd: string): string | null {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: "0" };
  for (const v of ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY"]) delete env[v];
  try {
    return execFileSync("git", ["-C", cwd, ...args], { env, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], maxBuffer: 64 << 20 });
  } catch {
    return null;
  }
}

/** git's own words for a failure, for messages. */
export function gitMessage(e: unknown): string {
  return e instanceof Error ? ((e as { stderr?: string }).stderr || e.message).trim() : String(e);
}

/**
 * Checks out commit `rev` of `url` into a fresh temporary directory, without `.git`, hands the
 * directory to `read`, and removes it afterwards. A commit that can't be fetched is E_SOURCE.
 * Text files keep the line endings of the commit's blobs whatever this machine's git config says
 * (core.autocrlf, Git for Windows' default, would write CRLF): `-text` in `.git/info/attributes`
 * overrides every other attribute and setting of line endings.
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
    await mkdir(join(dir, ".git", "info"), { recursive: true });
    await writeFile(join(dir, ".git", "info", "attributes"), "* -text\n");
    await git(["-c", "advice.detachedHead=false", "checkout", "-q", rev], dir).catch((e: unknown) => {
      throw new EkaError("E_SOURCE", `git ${url}: commit ${rev} not found (${gitMessage(e)})`);
    });
    await rm(join(dir, ".git"), { recursive: true, force: true });
    return await read(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
