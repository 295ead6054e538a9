// atom.lock and resolution against real local git repositories (file://, several tags), a real
// HTTP server on 127.0.0.1, and real directories.
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLock } from "../../src/atom/lock.ts";
import { loadAtomGraph } from "../../src/atom/resolve.node.ts";
import { EkaError } from "../../src/errors.ts";
import { addGitVersion, git, gitAtomRepo, libAtom, tempDir, writeFiles } from "./helpers.ts";
import { runEka } from "../helpers/spawn.ts";

let root = "";
let cache = "";
let lib: { url: string; dir: string };
let server: Server;
let baseUrl = "";
const tarball = new TextEncoder().encode("pretend this is a tarball\n");

const env = () => ({ ...process.env, EKA_STORE: join(root, "store"), EKA_CACHE: cache });
const eka = (cwd: string, ...args: string[]) => runEka(join(__dirname, "../../bin/eka.js"), args, { cwd, env: env() });
const lockOf = (dir: string) => parseLock(readFileSync(join(dir, "atom.lock"), "utf8"));
const app = (dir: string, deps: string) =>
  writeFiles(dir, {
    "atom.toml": `[atom]\nid = "app"\nversion = "0.1.0"\n\n[srcs.main]\npath = "src"\n${deps}`,
    "src/main.c": "int main(void) { return 0; }\n",
  });

beforeAll(async () => {
  root = tempDir("resolve", { repo: true });
  cache = join(root, "cache");
  lib = gitAtomRepo(root, "mylib", ["1.0.0", "1.1.1", "1.2.0", "2.0.0"]);
  server = createServer((req, res) => {
    if (req.url === "/pkg-1.4.tar") res.end(tarball);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  baseUrl = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
});
afterAll(() => server?.close());

describe("resolve", () => {
  it("locks a git dependency to the highest tag matching its range, and keeps it while it still matches", async () => {
    const dir = app(join(root, "a1"), `\n[deps.mylib]\nurl = "${lib.url}"\nversion = "^1.0"\n`);
    const g = await loadAtomGraph(dir, { cacheDir: cache });
    const d = lockOf(dir).deps.mylib;
    expect(d).toMatchObject({ kind: "git", id: "mylib", version: "1.2.0", tag: "v1.2.0", range: "^1.0", url: lib.url });
    expect(d?.rev).toBe(git(lib.dir, "rev-parse", "v1.2.0^{commit}"));
    expect(d?.hash).toMatch(/^blake3:[0-9a-f]{64}$/);
    expect(g.deps.mylib?.manifest.atom.version).toBe("1.2.0");

    // A newer matching tag appears: the lock keeps 1.2.0, since it still satisfies ^1.0.
    addGitVersion(lib.dir, "mylib", "1.3.1");
    const before = readFileSync(join(dir, "atom.lock"), "utf8");
    await loadAtomGraph(dir, { cacheDir: cache });
    expect(readFileSync(join(dir, "atom.lock"), "utf8")).toBe(before);

    // The range moves past it: re-resolved to the highest match, an annotated tag peeled to its commit.
    writeFileSync(join(dir, "atom.toml"), readFileSync(join(dir, "atom.toml"), "utf8").replace('"^1.0"', '">=1.3 <2"'));
    await loadAtomGraph(dir, { cacheDir: cache });
    expect(lockOf(dir).deps.mylib).toMatchObject({ version: "1.3.1", tag: "v1.3.1", rev: git(lib.dir, "rev-parse", "v1.3.1^{commit}") });
  });

  it("reports a range no tag satisfies with the versions there are", async () => {
    const dir = app(join(root, "a2"), `\n[deps.mylib]\nurl = "${lib.url}"\nversion = "^3"\n`);
    await expect(loadAtomGraph(dir, { cacheDir: cache })).rejects.toThrow(/no tag of .* satisfies '\^3' \(it has: 1\.0\.0, 1\.1\.1, 1\.2\.0, 1\.3\.1, 2\.0\.0\)/);
  });

  it("locks git sources to the commit of their ref, url sources and path sources to their hash", async () => {
    const dir = app(
      join(root, "a3"),
      `\n[srcs.repo]\nurl = "${lib.url}"\nref = "v2.0.0"\n[srcs.tar]\nurl = "${baseUrl}/pkg-\${version}.tar"\nversion = "1.4"\n[pins.p]\nurl = "${lib.url}"\nref = "main"\nentry = "atom.toml"\n`,
    );
    await loadAtomGraph(dir, { cacheDir: cache });
    const l = lockOf(dir);
    expect(l.srcs.repo).toMatchObject({ kind: "git", ref: "v2.0.0", rev: git(lib.dir, "rev-parse", "v2.0.0") });
    expect(l.srcs.tar).toMatchObject({ kind: "url", url: `${baseUrl}/pkg-1.4.tar` });
    expect(l.srcs.tar?.hash).toMatch(/^blake3:/);
    expect(l.srcs.main).toMatchObject({ kind: "path", path: "src" });
    expect(l.pins.p).toMatchObject({ kind: "git", ref: "main", rev: git(lib.dir, "rev-parse", "main") });
    // Deterministic: tables sorted by name, keys in a fixed order.
    const text = readFileSync(join(dir, "atom.lock"), "utf8");
    expect(text.indexOf("[pins.p]")).toBeLessThan(text.indexOf("[srcs.main]"));
    expect(text.indexOf("[srcs.main]")).toBeLessThan(text.indexOf("[srcs.repo]"));
  });

  it("--frozen fails on a stale lock and names what is stale; passes on a fresh one", async () => {
    const dir = app(join(root, "a4"), "");
    expect((await eka(dir, "resolve", "--frozen")).status).toBe(1);
    const r0 = await eka(dir, "resolve");
    expect(r0.status).toBe(0);
    expect(r0.stdout).toMatch(/^\.\/atom\.lock: srcs\.main \(not locked yet\) → blake3:[0-9a-f]{12}…\n$/);
    expect((await eka(dir, "resolve", "--frozen")).status).toBe(0);
    writeFileSync(join(dir, "src/main.c"), "int main(void) { return 1; }\n");
    const r = await eka(dir, "resolve", "--frozen");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/E_LOCK_STALE.*atom\.lock is out of date/);
    expect(r.stderr).toMatch(/srcs\.main: the content of 'src' changed/);
    expect((await eka(dir, "build", "--frozen")).stderr).toMatch(/E_LOCK_STALE/);
    const again = await eka(dir, "resolve", "--json");
    expect(JSON.parse(again.stdout).changes).toEqual([{ atom: ".", entry: "srcs.main", reason: expect.stringMatching(/^the content of 'src' changed/) }]);
  });

  it("fails on a dependency cycle, at the [deps] entry that closes it", async () => {
    const a = join(root, "cyc-a");
    const b = join(root, "cyc-b");
    writeFiles(a, { "atom.toml": `[atom]\nid = "cyc-a"\nversion = "1.0.0"\n\n[deps.b]\npath = "../cyc-b"\n` });
    writeFiles(b, { "atom.toml": `[atom]\nid = "cyc-b"\nversion = "1.0.0"\n# depends back\n[deps.a]\npath = "../cyc-a"\n` });
    const e = await loadAtomGraph(a, { cacheDir: cache }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(EkaError);
    expect((e as EkaError).code).toBe("E_DEP_CYCLE");
    expect((e as EkaError).details).toMatchObject({ line: 5, column: 1 });
    expect((e as EkaError).message).toMatch(/cyc-b.*atom\.toml:5:1: dependency cycle: cyc-a → cyc-b → cyc-a/);
  });
});

describe("eka add", () => {
  it("adds a git dependency with a range and locks it; without --version it asks for ^highest", async () => {
    const dir = app(join(root, "add1"), "");
    const r = await eka(dir, "add", lib.url, "--version", "~1.1");
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/added mylib: mylib 1\.1\.1 \(v1\.1\.1/);
    expect(readFileSync(join(dir, "atom.toml"), "utf8")).toContain(`[deps.mylib]\nurl = "${lib.url}"\nversion = "~1.1"\n`);
    expect(lockOf(dir).deps.mylib?.version).toBe("1.1.1");
    const r2 = await eka(dir, "add", lib.url, "--name", "latest");
    expect(r2.status).toBe(0);
    expect(readFileSync(join(dir, "atom.toml"), "utf8")).toContain(`version = "^2.0.0"`);
    expect(lockOf(dir).deps.latest?.version).toBe("2.0.0");
    expect((await eka(dir, "add", lib.url)).stderr).toMatch(/E_EXISTS.*already has \[deps\.mylib\]/);
  });

  it("adds a path dependency by its atom id, and leaves atom.toml alone when resolving fails", async () => {
    const dir = app(join(root, "add2"), "");
    writeFiles(join(root, "pathlib"), libAtom("pathlib", "0.3.0"));
    const r = await eka(dir, "add", "../pathlib");
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, "atom.toml"), "utf8")).toContain(`[deps.pathlib]\npath = "../pathlib"\n`);
    expect(lockOf(dir).deps.pathlib).toMatchObject({ kind: "path", id: "pathlib", version: "0.3.0" });
    const before = readFileSync(join(dir, "atom.toml"), "utf8");
    const bad = await eka(dir, "add", lib.url, "--version", "^9", "--name", "nine");
    expect(bad.status).toBe(1);
    expect(readFileSync(join(dir, "atom.toml"), "utf8")).toBe(before);
  });
});
