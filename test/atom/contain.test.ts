// Path sources and path dependencies stay inside what was declared: a fetched atom inside its own
// tree, a local atom inside its repository unless the user allows a directory by name. Through the
// real CLI on a real directory store.
import { mkdirSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { git, tempDir, writeFiles } from "./helpers.ts";
import { type Ran, runEka } from "../helpers/spawn.ts";

let root = "";
const env = (extra: Record<string, string> = {}) => ({ ...process.env, EKA_STORE: join(root, "store"), EKA_CACHE: join(root, "cache"), EKA_ALLOW_OUTSIDE: "", ...extra });
const eka = (cwd: string, args: string[], extra: Record<string, string> = {}) =>
  runEka(join(__dirname, "../../bin/eka.js"), args, { cwd, env: env(extra) });
const HEAD = `[atom]\nid = "app"\nversion = "0.1.0"\n\n`;
const BUILD = `\n[build]\nkind = "c"\nsrc = "main"\n\n[build.bin.app]\nsources = ["main.c"]\n`;
const MAIN = `#include <stdio.h>\nint main(void) { puts("outside ok"); return 0; }\n`;

/** The store's paths and `eka store verify` before and after `f`: a refused input changes nothing. */
async function storeUnchanged(f: () => Promise<void>): Promise<void> {
  const ls = async () => (await eka(root, ["store", "ls"])).stdout;
  const before = await ls();
  await f();
  expect(await ls()).toBe(before);
  const v = await eka(root, ["store", "verify"]);
  expect(v.status, v.stderr).toBe(0);
}

function refused(r: Ran, file: string, line: number, column: number, what: RegExp): void {
  expect(r.status, r.stderr).toBe(1);
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^eka: error\\[E_PATH_OUTSIDE\\]: ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:${line}:${column}: `));
  expect(lines[0]).toMatch(what);
}

beforeAll(async () => {
  root = realpathSync(tempDir("contain"));
  writeFiles(root, { "seed.txt": "x\n", "outside/src/main.c": MAIN, "secret/key.txt": "host secret\n" });
  // A store that exists before the refused builds, so "unchanged" means something.
  expect((await eka(root, ["store", "add", join(root, "seed.txt")])).status).toBe(0);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("a local atom outside a git work tree", () => {
  it("refuses a path source above its directory at its atom.toml line, and builds with --allow-outside", async () => {
    const app = writeFiles(join(root, "local"), { "atom.toml": `${HEAD}[srcs.main]\npath = "../outside/src"\n${BUILD}` });
    await storeUnchanged(async () => refused(await eka(app, ["build"]), "atom.toml", 6, 8, /\[srcs\.main\] path '\.\.\/outside\/src' resolves to .*\/outside\/src, outside app's repository .*\/local \(its directory; it is in no git work tree\)\. .*--allow-outside/));
    const ok = await eka(app, ["build", "--allow-outside", "../outside", "-o", "result"]);
    expect(ok.status, ok.stderr).toBe(0);
    expect((await eka(app, ["run", "--allow-outside", join(root, "outside")])).stdout).toBe("outside ok\n");
    // The config setting does the same as the flag.
    expect((await eka(app, ["build"], { EKA_ALLOW_OUTSIDE: join(root, "outside") })).status).toBe(0);
    // eka resolve, which writes the lock, takes the same flag and refuses the same way.
    refused(await eka(app, ["resolve"]), "atom.toml", 6, 8, /outside app's repository/);
    const resolved = await eka(app, ["resolve", "--allow-outside", "../outside"]);
    expect(resolved.status, resolved.stderr).toBe(0);
  }, 120_000);

  it("refuses an absolute path, a symlink that leads out and a path dependency above it", async () => {
    const abs = writeFiles(join(root, "abs"), { "atom.toml": `${HEAD}[srcs.main]\npath = "src"\n[srcs.host]\npath = "${join(root, "secret")}"\n${BUILD}`, "src/main.c": MAIN });
    await storeUnchanged(async () => refused(await eka(abs, ["build"]), "atom.toml", 8, 8, /\[srcs\.host\] path '\/.*secret' resolves to/));
    const link = writeFiles(join(root, "link"), { "atom.toml": `${HEAD}[srcs.main]\npath = "src"\n[srcs.s]\npath = "inner/key"\n${BUILD}`, "src/main.c": MAIN });
    mkdirSync(join(link, "inner"));
    symlinkSync(join(root, "secret"), join(link, "inner", "key"));
    await storeUnchanged(async () => refused(await eka(link, ["build"]), "atom.toml", 8, 8, /path 'inner\/key' resolves to .*\/secret, outside/));
    const dep = writeFiles(join(root, "dep"), { "atom.toml": `${HEAD}[srcs.main]\npath = "src"\n[deps.lib]\npath = "../local"\n${BUILD}`, "src/main.c": MAIN });
    await storeUnchanged(async () => refused(await eka(dep, ["build"]), "atom.toml", 8, 8, /\[deps\.lib\] path '\.\.\/local' resolves to/));
  });
});

describe("a local atom in a git work tree", () => {
  it("may name any path inside the work tree, but not beyond it", async () => {
    const repo = join(root, "repo");
    mkdirSync(repo);
    git(repo, "init", "-q");
    writeFiles(repo, { "vendor/main.c": MAIN });
    const app = writeFiles(join(repo, "apps/app"), { "atom.toml": `${HEAD}[srcs.main]\npath = "../../vendor"\n${BUILD}` });
    const r = await eka(app, ["resolve"]);
    expect(r.status, r.stderr).toBe(0);
    const out = writeFiles(join(repo, "apps/out"), { "atom.toml": `${HEAD}[srcs.main]\npath = "../../../outside/src"\n${BUILD}` });
    refused(await eka(out, ["resolve"]), "atom.toml", 6, 8, /outside app's repository .*\/repo \(its git work tree\)/);
  });
});

describe("a fetched atom", () => {
  it("may not name a path outside its own tree, whatever --allow-outside says", async () => {
    const src = join(root, "evil.git-src");
    mkdirSync(src);
    git(src, "init", "-q", "-b", "main");
    writeFiles(src, { "atom.toml": `[atom]\nid = "evil"\nversion = "1.0.0"\n\n[srcs.main]\npath = "../../../../../../../../../../.."\n\n[build]\nkind = "c"\n[build.lib.evil]\nsources = ["x.c"]\n` });
    git(src, "add", "-A");
    git(src, "commit", "-q", "-m", "evil");
    git(src, "tag", "v1.0.0");
    const app = writeFiles(join(root, "victim"), { "atom.toml": `${HEAD}[srcs.main]\npath = "src"\n[deps.evil]\nurl = "file://${src}"\nversion = "*"\n${BUILD}`, "src/main.c": MAIN });
    await storeUnchanged(async () => {
      const r = await eka(app, ["build", "--allow-outside", "/"]);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/^eka: error\[E_PATH_OUTSIDE\]: \S*cache\/atoms\/[0-9a-f]{40}\/atom\.toml:6:8: \[srcs\.main\] path '(\.\.\/)+\.\.' resolves to \/, outside evil's own tree .*; a fetched atom may only name paths inside itself/);
    });

    // A git URL on this machine reads it just as a path would.
    for (const [n, url] of [["file", `file://${join(root, "secret")}`], ["abs", join(root, "secret")], ["rel", "../../secret"]] as const) {
      const repo = join(root, `local-${n}.git-src`);
      mkdirSync(repo);
      git(repo, "init", "-q", "-b", "main");
      writeFiles(repo, { "atom.toml": `[atom]\nid = "sneaky"\nversion = "1.0.0"\n\n[srcs.main]\nurl = "${url}"\nref = "main"\n` });
      git(repo, "add", "-A");
      git(repo, "commit", "-q", "-m", "sneaky");
      git(repo, "tag", "v1.0.0");
      const victim = writeFiles(join(root, `victim-${n}`), { "atom.toml": `${HEAD}[srcs.main]\npath = "src"\n[deps.s]\nurl = "file://${repo}"\nversion = "*"\n${BUILD}`, "src/main.c": MAIN });
      await storeUnchanged(async () => {
        const r = await eka(victim, ["build"]);
        expect(r.status, r.stderr).toBe(1);
        expect(r.stderr).toMatch(/^eka: error\[E_PATH_OUTSIDE\]: \S*atom\.toml:6:7: \[srcs\.main\] url '.*secret' is a repository on this machine; a fetched atom \(sneaky\) may only name remote ones/);
      });
    }
  });
});
