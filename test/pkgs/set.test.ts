// The package set as a whole: every tarball pinned and mirrored, `eka build pkgs` builds it all in
// one command with a table, and a rebuild of every package from nothing (`--check`, no action
// cache) with one worker gives the same bytes as the build with two.
import { execFileSync } from "node:child_process";
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { atomDirsFromArgs } from "../../src/cli/atoms.ts";
import { eka, ekaAsync, mirror, PKGS, scratch, ROOT } from "./helpers.ts";

interface Row {
  atom: string;
  status: string;
  storePath: string | null;
  narSize: number | null;
  error?: { code: string; message: string };
}

const pins = readFileSync(join(PKGS, "mirror.txt"), "utf8")
  .split("\n")
  .filter((l) => l && !l.startsWith("#"))
  .map((l) => l.trim().split(/\s+/) as [string, string, string]);

describe("the package set", () => {
  it("has at least twelve packages, each url source pinned by sha256 in pkgs/mirror.txt and present in the mirror", async () => {
    const dirs = await atomDirsFromArgs([PKGS]);
    expect(dirs.length).toBeGreaterThanOrEqual(12);
    for (const d of dirs) {
      const m = parse(readFileSync(join(d, "atom.toml"), "utf8")) as { srcs?: Record<string, { url?: string; hash?: string }> };
      const urls = Object.entries(m.srcs ?? {}).filter(([, s]) => s.url);
      expect(urls.length, `${d} takes its code from an upstream tarball`).toBeGreaterThan(0);
      for (const [name, s] of urls) {
        const hex = /^sha256:([0-9a-f]{64})$/.exec(s.hash ?? "")?.[1];
        expect(hex, `${d}/atom.toml [srcs.${name}] hash = "sha256:…"`).toBeDefined();
        expect(pins.map((p) => p[2]), `${d}/atom.toml [srcs.${name}] in pkgs/mirror.txt`).toContain(hex);
        expect(readFileSync(join(mirror(), "sha256", hex as string)).length).toBeGreaterThan(0);
      }
    }
  });

  it("builds as one command from the mirror alone, with a table of every package, then as a whole-process no-op", { timeout: 1_800_000 }, async () => {
    const r = await ekaAsync(["build", PKGS, "--no-progress"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^package\s+status\s+time\s+size\s+closure$/);
    expect(lines.at(-1)).toMatch(/^\d+ packages: .* in \d/);
    const again = eka(["build", PKGS, "--json"]);
    expect(again.status).toBe(0);
    const rows = (JSON.parse(again.stdout) as { results: Row[] }).results;
    expect(rows.length).toBe(lines.length - 2);
    expect(rows.filter((x) => x.status !== "cached")).toEqual([]);
  });

  it("without a mirror that has it, a package's tarball is an error naming its hash, its url and EKA_MIRRORS, and nothing is built", async () => {
    // pkgs/cjson in a scratch repository, its url pointing at a closed port (3: no server, and not one fetch refuses outright) (upstream's may be
    // reachable from a networked machine; this one never is).
    const repo = scratch("nomirror");
    execFileSync("git", ["init", "-q", repo]);
    // As in this repository: pkgs/cjson, and the stage-1 libc atom its --libc=wasi-libc choice names.
    cpSync(join(PKGS, "cjson"), join(repo, "pkgs/cjson"), { recursive: true });
    cpSync(join(ROOT, "bootstrap/wasi-libc"), join(repo, "bootstrap/wasi-libc"), { recursive: true });
    const toml = join(repo, "pkgs/cjson", "atom.toml");
    writeFileSync(toml, readFileSync(toml, "utf8").replace(/^url = ".*"$/m, 'url = "http://127.0.0.1:3/cJSON-1.7.15.tar.gz"'));
    rmSync(join(repo, "pkgs/cjson", "atom.lock"), { force: true });
    const env = { EKA_STORE: join(repo, "store"), EKA_CACHE: join(repo, "cache"), EKA_MIRRORS: join(repo, "empty-mirror"), EKA_FETCH_TIMEOUT: "10" };
    const r = await ekaAsync(["build", join(repo, "pkgs/cjson"), "--no-progress"], { env });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error\[E_FETCH\]: source 'cjson': cannot get sha256:[0-9a-f]{64}/);
    expect(r.stderr).toContain("url http://127.0.0.1:3/cJSON-1.7.15.tar.gz: the connection was refused");
    expect(r.stderr).toContain(`${join(repo, "empty-mirror")}: no sha256/`);
    expect(r.stderr).toContain("EKA_MIRRORS");
    const ls = await ekaAsync(["store", "ls"], { env });
    expect(ls.stdout).not.toMatch(/cjson/);
  });

  it("rebuilt from nothing with one worker (--check: fresh sandboxes, no action cache), every package is bit for bit the same as built with two", { timeout: 3_600_000 }, async () => {
    expect((await ekaAsync(["build", PKGS, "--no-progress"], { env: { EKA_WORKERS: "2" } })).status).toBe(0);
    const r = await ekaAsync(["build", PKGS, "--check", "--json"], { env: { EKA_WORKERS: "1" } });
    const rows = (JSON.parse(r.stdout) as { results: Row[] }).results;
    expect(rows.filter((x) => x.status !== "identical").map((x) => `${x.atom}: ${x.status} ${x.error?.message ?? ""}`)).toEqual([]);
    expect(r.status).toBe(0);
  });
});
