// The user-facing commands end to end, as a user runs them: spawned `node bin/eka.js`, the real
// clang module, a store in a temp dir, the examples of the repository.
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync, cpSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type Ran, run, runEka } from "../helpers/spawn.ts";

const REPO = join(__dirname, "../..");
const EKA = join(REPO, "bin/eka.js");
let tmp = "";
let env: NodeJS.ProcessEnv = {};

const eka = (args: string[], cwd = REPO): Promise<Ran> => runEka(EKA, args, { cwd, env });
const ok = async (p: Promise<Ran>) => {
  const r = await p;
  if (r.status !== 0) throw new Error(`exit ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
};

beforeAll(() => {
  tmp = realpathSync(mkdtempSync(join(tmpdir(), "eka-cli-")));
  env = {
    ...process.env,
    EKA_STORE: join(tmp, "store"),
    EKA_CACHE: join(tmp, "cache"),
    // Two workers: SQLite's amalgamation and its shell compile side by side.
    EKA_WORKERS: "2",
  };
});

describe("eka build / eka run on the examples", () => {
  it("builds hello (--json), then a no-op; -o result points at it; run prints its greeting", async () => {
    const first = JSON.parse((await ok(eka(["build", "./examples/hello", "--frozen", "--json", "-o", join(tmp, "result")]))).stdout);
    const r = first.results[0];
    expect(r).toMatchObject({ atom: "hello", version: "1.0.0", host: "wasm32-wasip1", built: true });
    expect(r.storePath).toMatch(/^\/nix\/store\/[0-9a-z]{32}-hello-1\.0\.0$/);
    expect(r.pid).toMatch(/^[0-9a-f]{64}$/);
    expect(r.cid).toMatch(/^[0-9a-f]{64}$/);
    expect(existsSync(join(tmp, "result/bin/hello.wasm"))).toBe(true);
    const again = JSON.parse((await ok(eka(["build", "./examples/hello", "--json"]))).stdout).results[0];
    expect(again).toMatchObject({ pid: r.pid, storePath: r.storePath, cid: r.cid, built: false });
    const check = await ok(eka(["build", "./examples/hello", "--check", "--json"]));
    expect(JSON.parse(check.stdout).results[0]).toMatchObject({ storePath: r.storePath, check: { identical: true, differences: [] } });
    const run = await ok(eka(["run", "./examples/hello", "--", "one", "two words"]));
    expect(run.stdout).toBe("Hello from eka! (hello 1.0.0)\narg 1: one\narg 2: two words\n");
  }, 300_000);

  it("builds greet-app and the library atom it links, showing plain progress off a TTY", async () => {
    const b = await ok(eka(["build", "examples/greet-app"]));
    expect(b.stdout).toMatch(/^\/nix\/store\/[0-9a-z]{32}-greet-app-0\.1\.0\n$/);
    expect(b.stderr).toMatch(/\[\d+\.\ds\] 2 of 2 packages to build/);
    expect(b.stderr).toMatch(/building greet-lib-0\.2\.0 \(3 steps\)/);
    expect(b.stderr).toMatch(/greet-app-0\.1\.0 \[\d\/2\] cc:greet-app\/main\.c/);
    expect(b.stderr).toMatch(/built greet-app-0\.1\.0 in [\d.]+s \(2 run, 0 cached\) \[2\/2\]/);
    expect(b.stderr).not.toMatch(/\x1b\[/);
    expect((await ok(eka(["run", "examples/greet-app", "--", "Ada"]))).stdout).toBe("Greetings, Ada, from greet-lib!\n");
  }, 300_000);

  it("builds the SQLite atom and its shell runs queries on a database in the current directory", async () => {
    const cwd = join(tmp, "db");
    mkdirSync(cwd);
    await ok(eka(["run", join(REPO, "examples/sqlite"), "--", "test.db", "create table t(k integer primary key, v text);", "insert into t(v) values ('a'), ('bb');"], cwd));
    expect(readFileSync(join(cwd, "test.db")).subarray(0, 15).toString()).toBe("SQLite format 3");
    const q = await ok(eka(["run", join(REPO, "examples/sqlite"), "--", "test.db", "select k, v, length(v) from t order by k;"], cwd));
    expect(q.stdout).toBe("1|a|1\n2|bb|2\n");
    // Without SQL arguments the shell reads stdin, which eka run passes through.
    const piped = await ok(run(process.execPath, [EKA, "run", join(REPO, "examples/sqlite"), "--", "test.db"], { cwd, env, input: "select group_concat(v, '+') from t;\n" }));
    expect(piped.stdout).toBe("a+bb\n");
  }, 600_000);

  it("reports a variant choice that is not listed and a missing atom, with exit 1", async () => {
    const v = await eka(["build", "examples/hello", "--cc=gcc"]);
    expect(v.status).toBe(1);
    expect(v.stderr).toMatch(/E_VARIANT.*'gcc' is not a choice for 'cc' in hello; the choices are clang/);
    const m = await eka(["build", join(tmp, "nowhere")]);
    expect(m.status).toBe(1);
    expect(m.stderr).toMatch(/E_NO_ATOM\]: no atom\.toml in/);
    expect((await eka(["build", "--jobs", "zero"])).status).toBe(2);
    expect((await ok(eka(["build", "--help"]))).stdout).toMatch(/--VARIANT=CHOICE/);
  });

  it("reports a malformed manifest with file, line and column", async () => {
    const dir = join(tmp, "bad");
    mkdirSync(dir);
    writeFileSync(join(dir, "atom.toml"), `[atom]\nid = "bad"\nversion = "1.0.0"\n\n[biuld]\nkind = "c"\n`);
    const r = await eka(["build", "."], dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error\[E_MANIFEST_KEY\]: atom\.toml:5:1: unknown key 'biuld' \(did you mean 'build'\?\)/);
  });
});

describe("eka init", () => {
  it("creates an atom that eka run builds and runs", async () => {
    const dir = join(tmp, "newproj");
    const r = await ok(eka(["init", dir, "--name", "newproj"]));
    expect(r.stdout).toMatch(/created newproj/);
    expect(existsSync(join(dir, "atom.lock"))).toBe(true);
    expect((await ok(eka(["run", dir]))).stdout).toBe("hello from newproj\n");
    expect((await eka(["init", dir])).stderr).toMatch(/E_EXISTS/);
  }, 300_000);
});

describe("a git dependency", () => {
  it("eka add locks the library atom's tag and eka run links it into the app", async () => {
    const repo = join(tmp, "greet-lib-repo");
    cpSync(join(REPO, "examples/greet-lib"), repo, { recursive: true });
    for (const args of [["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "greet"], ["tag", "v0.2.0"]]) {
      expect((await run("git", ["-C", repo, ...args], { cwd: tmp, env })).status).toBe(0);
    }
    const app = join(tmp, "git-app");
    cpSync(join(REPO, "examples/greet-app"), app, { recursive: true });
    writeFileSync(join(app, "atom.toml"), readFileSync(join(app, "atom.toml"), "utf8").replace(/\[deps\.greet\][^[]*/, ""));
    expect((await ok(eka(["add", `file://${repo}`, "--name", "greet"], app))).stdout).toMatch(/added greet: greet-lib 0\.2\.0 \(v0\.2\.0/);
    expect((await ok(eka(["run", ".", "--frozen", "--", "Grace"], app))).stdout).toBe("Greetings, Grace, from greet-lib!\n");
  }, 300_000);
});

describe("several hosts", () => {
  it("builds each host of [platform] host: other pids and store paths, the same bytes (cid)", async () => {
    const dir = join(tmp, "multihost");
    await ok(eka(["init", dir, "--name", "multihost"]));
    writeFileSync(join(dir, "atom.toml"), readFileSync(join(dir, "atom.toml"), "utf8") + '\n[platform]\nhost = ["wasm32-wasip1", "wasm32-unknown-wasip1"]\n');
    const out = JSON.parse((await ok(eka(["build", ".", "--json", "-o", "result"], dir))).stdout).results;
    expect(out.map((r: { host: string }) => r.host)).toEqual(["wasm32-wasip1", "wasm32-unknown-wasip1"]);
    expect(out[0].pid).not.toBe(out[1].pid);
    expect(out[0].storePath).not.toBe(out[1].storePath);
    expect(out[0].cid).toBe(out[1].cid);
    expect(existsSync(join(dir, "result-wasm32-unknown-wasip1/bin/multihost.wasm"))).toBe(true);
    expect((await ok(eka(["run", ".", "--host=wasm32-unknown-wasip1"], dir))).stdout).toBe("hello from multihost\n");
  }, 300_000);
});

describe("eka-run", () => {
  it("runs an executable script with the interpreter atom its second line names", async () => {
    const dir = join(tmp, "scripts");
    cpSync(join(__dirname, "fixtures/upper"), join(dir, "upper"), { recursive: true });
    // eka-run on PATH, as `npm install -g`/`npm link` would put it.
    const bin = join(tmp, "bin");
    mkdirSync(bin);
    symlinkSync(join(REPO, "bin/eka-run.js"), join(bin, "eka-run"));
    const script = join(dir, "shout");
    writeFileSync(script, "#!/usr/bin/env eka-run\n#! eka: ./upper@^1.1\nhello, world\nquiet words\n");
    chmodSync(script, 0o755);
    const r = await run(script, ["extra"], { cwd: tmp, env: { ...env, PATH: `${bin}:${process.env.PATH}` } });
    expect(r.stderr.replace(/^\[.*\n/gm, "")).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("HELLO, WORLD\nQUIET WORDS\narg: extra\n");

    // By git URI: the highest tag matching the range is checked out and built (the same atom
    // and sources as the path one, so the same pid: nothing is rebuilt).
    const repo = join(tmp, "upper-repo");
    cpSync(join(__dirname, "fixtures/upper"), repo, { recursive: true });
    for (const args of [["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "upper"], ["tag", "v1.2.0"]]) {
      expect((await run("git", ["-C", repo, ...args], { cwd: tmp, env })).status).toBe(0);
    }
    writeFileSync(script, `#!/usr/bin/env eka-run\n// eka: file://${repo}@^1\nby uri\n`);
    const byUri = await run(script, [], { cwd: tmp, env: { ...env, PATH: `${bin}:${process.env.PATH}` } });
    expect(byUri.stdout).toBe("BY URI\n");
    expect(byUri.stderr).not.toMatch(/building/);
    const viaBuild = JSON.parse((await ok(eka(["build", `file://${repo}@^1`, "--json"]))).stdout).results[0];
    expect(viaBuild).toMatchObject({ atom: "upper", version: "1.2.0", built: false });

    writeFileSync(script, "#!/usr/bin/env eka-run\n#! eka: ./upper@^2\nx\n");
    const bad = await run(script, [], { cwd: tmp, env: { ...env, PATH: `${bin}:${process.env.PATH}` } });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/shout:2: the interpreter upper is version 1\.2\.0, which does not satisfy '\^2'/);
  }, 300_000);
});
