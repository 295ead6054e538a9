import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureSeed } from "../../src/bootstrap/seed.node.ts";
import { buildGraph, buildStateFor, nodeBuildHost, runProgram } from "../../src/builder/index.node.ts";
import { driverTemplates } from "../../src/toolchains/clang/templates.ts";
import type { BuildHost, ProgressEvent } from "../../src/builder/index.ts";
import { isEkaError } from "../../src/errors.ts";
import { initIR, pidOf, storePathOf, type PackageIR } from "../../src/ir/index.ts";
import { openStore, removeReadOnlyTree, type Store } from "../../src/store/open.node.ts";
import { cPackage, tempDir, writeSources } from "./helpers.ts";

let dir = "";
let store: Store;
let host: BuildHost;
let seed = "";

const greetFiles = {
  "include/greet.h": "int greet_base(void);\nint greet_bonus(void);\nint greet_total(void);\n",
  "a.c": '#include "greet.h"\nint greet_base(void) { return 40; }\n',
  "b.c": '#include "greet.h"\nint greet_bonus(void) { return 2; }\n',
  "c.c": '#include "greet.h"\nint greet_total(void) { return greet_base() + greet_bonus(); }\n',
};
const greetSpec = { cflags: ["-O1"], includeDirs: ["include"], libraries: [{ name: "greet", sources: ["a.c", "b.c", "c.c"], headers: ["include/greet.h"] }] };
const helloSpec = { cflags: ["-O1"], executables: [{ name: "hello", sources: ["main.c"], link: ["greet"] }] };
const mainC = '#include <stdio.h>\n#include <greet.h>\nint main(void) { printf("hello from greet: %d\\n", greet_total()); return 0; }\n';

async function lib(files = greetFiles, name = "greet-src"): Promise<PackageIR> {
  return cPackage("libgreet", writeSources(dir, name, files), greetSpec, { seed });
}
async function app(libIR: PackageIR): Promise<PackageIR> {
  return cPackage("hello", writeSources(dir, "hello-src", { "main.c": mainC }), helloSpec, { seed, inputs: { greet: libIR } });
}
async function run(storePath: string, program: string): Promise<string> {
  const r = await runProgram(storePath, program, [], { store, executor: host.executor, sandboxes: host.sandboxes });
  expect(r.exitCode).toBe(0);
  return new TextDecoder().decode(r.stdout);
}
function recorder(): { events: ProgressEvent[]; ran: () => string[] } {
  const events: ProgressEvent[] = [];
  return { events, ran: () => events.flatMap((e) => (e.type === "step-done" && !e.cached ? [e.stepId] : [])) };
}

beforeAll(async () => {
  await initIR();
  dir = tempDir("build-test");
  store = await openStore(join(dir, "store"));
  seed = await ensureSeed(store);
  host = await nodeBuildHost(store, { workers: 0, baseDir: dir });
});
afterAll(() => {
  store?.close();
  // Store checkouts are read-only; this helper makes them writable before removing.
  if (dir) removeReadOnlyTree(dir);
});

let libIR: PackageIR;
let appIR: PackageIR;
const appIR0 = () => appIR;

describe("buildGraph", () => {

  it("builds a multi-file C library and an executable that links it, from declared inputs only, and runs it", async () => {
    libIR = await lib();
    appIR = await app(libIR);
    const rec = recorder();
    const [res] = await buildGraph([appIR], { store, host, onProgress: (e) => rec.events.push(e) });
    expect(res).toMatchObject({ storePath: storePathOf(appIR), pid: pidOf(appIR), built: true, references: [] });
    expect(res!.closureSize).toBe(res!.narSize);
    expect(res!.narSize).toBeGreaterThan(1000);
    expect(rec.ran().sort()).toEqual(["ar:libgreet", "cc:hello/main.c", "cc:libgreet/a.c", "cc:libgreet/b.c", "cc:libgreet/c.c", "install-headers:libgreet", "ld:hello"]);
    expect(store.has(storePathOf(libIR))).toBe(true);
    expect(await run(storePathOf(appIR), "hello")).toBe("hello from greet: 42\n");
    // Node defaults: in this thread, output streamed, the host directory as cwd.
    const chunks: string[] = [];
    const streamed = await runProgram(storePathOf(appIR), "hello", [], { store, hostCwd: dir, stdout: (c) => chunks.push(new TextDecoder().decode(c)) });
    expect([streamed.exitCode, chunks.join(""), streamed.stdout.length]).toEqual([0, "hello from greet: 42\n", 0]);
    // The static library is linked in: the program does not refer to the library's store path.
    expect(store.queryPathInfo(storePathOf(appIR))?.references).toEqual([]);
    const log = buildStateFor(store).readLog(storePathOf(appIR));
    expect(log).toMatch(/== step ld:hello\n\$ clang --target=wasm32-wasip1/);
  });

  it("does nothing when everything is in the store", async () => {
    const rec = recorder();
    const t0 = performance.now();
    const [res] = await buildGraph([appIR], { store, onProgress: (e) => rec.events.push(e) });
    expect(performance.now() - t0).toBeLessThan(200);
    expect(res?.built).toBe(false);
    expect(rec.events).toEqual([{ type: "plan", packagesTotal: 2, packagesToBuild: 0 }]);
  });

  it("recompiles only the edited file although the package's pid changed (action cache)", async () => {
    const edited = await lib({ ...greetFiles, "b.c": '#include "greet.h"\nint greet_bonus(void) { return 3; }\n' }, "greet-src-2");
    expect(pidOf(edited)).not.toBe(pidOf(libIR));
    const app2 = await app(edited);
    const rec = recorder();
    await buildGraph([app2], { store, host, onProgress: (e) => rec.events.push(e) });
    // In the library only the edited file recompiles; the program's compile reruns because its
    // -I flag names the library's new store path.
    expect(rec.ran().filter((s) => s.startsWith("cc:")).sort()).toEqual(["cc:hello/main.c", "cc:libgreet/b.c"]);
    expect(await run(storePathOf(app2), "hello")).toBe("hello from greet: 43\n");
  });

  it("early cutoff: a comment-only edit reruns that one compile, and no step of what depends on the unchanged library", async () => {
    const edited = await lib({ ...greetFiles, "a.c": '#include "greet.h"\n/* forty */\nint greet_base(void) { return 40; }\n' }, "greet-src-comment");
    const app2 = await app(edited);
    expect(storePathOf(app2)).not.toBe(storePathOf(appIR));
    const rec = recorder();
    const [res] = await buildGraph([app2], { store, host, onProgress: (e) => rec.events.push(e) });
    // The library's new object is byte for byte the old one, so its archive, and then every step
    // of the program (whose -I/-L name the library by content in the key), come from the cache.
    expect(rec.ran()).toEqual(["cc:libgreet/a.c"]);
    expect(res?.built).toBe(true);
    expect(store.queryPathInfo(storePathOf(edited))?.cid).toBe(store.queryPathInfo(storePathOf(libIR))?.cid);
    expect(await run(storePathOf(app2), "hello")).toBe("hello from greet: 42\n");
  });

  it("a cached output that names an input's old store path is not reused for its new one (same content)", async () => {
    const main = '#include <stdio.h>\nint main(void) { puts(LIB); return 0; }\n';
    const withPath = async (l: PackageIR) =>
      cPackage("where", writeSources(dir, "where-src", { "main.c": main }), { cflags: ["-O1"], defines: { LIB: `"${storePathOf(l)}"` }, executables: [{ name: "where", sources: ["main.c"] }] }, { seed, inputs: { greet: l } });
    const before = await withPath(libIR);
    await buildGraph([before], { store, host });
    expect(await run(storePathOf(before), "where")).toBe(`${storePathOf(libIR)}\n`);
    const moved = await lib({ ...greetFiles, "c.c": greetFiles["c.c"] + "/* moved */\n" }, "greet-src-moved");
    const after = await withPath(moved);
    const rec = recorder();
    await buildGraph([after], { store, host, onProgress: (e) => rec.events.push(e) });
    expect(rec.ran()).toEqual(expect.arrayContaining(["cc:where/main.c", "ld:where"]));
    expect(await run(storePathOf(after), "where")).toBe(`${storePathOf(moved)}\n`);
  });

  it("stores identical outputs of two different IRs once: one cid, two pids", async () => {
    const a = await lib(greetFiles);
    const b = { ...a, config: { note: "same output, different pid" } };
    const [ra, rb] = await buildGraph([a, b], { store, host });
    expect(ra?.pid).not.toBe(rb?.pid);
    expect(ra?.storePath).not.toBe(rb?.storePath);
    expect(ra?.cid).toBe(rb?.cid);
    // (The comment-only edit above made a third pid of this output.)
    expect(store.realisations.pidsFor(ra?.cid as never)).toEqual(expect.arrayContaining([ra?.pid, rb?.pid]));
  });

  it("fails a build that opens a file that is not an input, showing clang's error and where the log is", async () => {
    const other = storePathOf(libIR);
    const src = writeSources(dir, "sneaky-src", { "main.c": `#include "${other}/include/greet.h"\n#include "/etc/passwd"\nint main(void){return 0;}\n` });
    const ir = await cPackage("sneaky", src, { executables: [{ name: "sneaky", sources: ["main.c"] }] }, { seed });
    const err = await buildGraph([ir], { store, host }).catch((e: unknown) => e);
    expect(isEkaError(err, "E_BUILD_FAILED")).toBe(true);
    const msg = String((err as Error).message);
    expect(msg).toMatch(/step 'cc:sneaky\/main\.c' failed/);
    expect(msg).toMatch(/file not found/);
    expect(msg).toMatch(/Full log: .*logs/);
    expect(store.has(storePathOf(ir))).toBe(false);
  });

  it("expands the driver once for compiles with the same flags, giving the bytes the driver gives", async () => {
    const ir = await cPackage("libgreet", writeSources(dir, "greet-tpl", greetFiles), { ...greetSpec, cflags: ["-O1", "-DTEMPLATE_TEST=1"] }, { seed });
    const seen: string[][] = [];
    const spy: BuildHost = { ...host, executor: { slots: 1, execute: (req, signal) => (seen.push(req.command.args), host.executor.execute(req, signal)) } };
    await buildGraph([ir], { store, host: spy });
    expect([seen.filter((a) => a[1] === "-###").length, seen.filter((a) => a[1] === "-cc1").length]).toEqual([1, 3]);
    driverTemplates.enabled = false;
    try {
      seen.length = 0;
      const [res] = await buildGraph([ir], { store, host: spy, check: true });
      expect(seen.filter((a) => a[1] === "-###").length).toBe(3);
      expect(res?.check).toEqual({ identical: true, differences: [] });
    } finally {
      driverTemplates.enabled = true;
    }
  });

  it("runs steps in parallel on the worker pool, to the same bytes as in this thread", async () => {
    const ir = await cPackage("libgreet", writeSources(dir, "greet-pool", greetFiles), { ...greetSpec, cflags: ["-O1", "-DPOOL_TEST=1"] }, { seed });
    const pool = await nodeBuildHost(store, { workers: 2 });
    let inFlight = 0;
    let peak = 0;
    const counting: BuildHost = {
      ...pool,
      executor: {
        slots: pool.executor.slots,
        async execute(req, signal) {
          peak = Math.max(peak, ++inFlight);
          try {
            return await pool.executor.execute(req, signal);
          } finally {
            inFlight--;
          }
        },
      },
    };
    const [res] = await buildGraph([ir], { store, host: counting });
    expect(res?.built).toBe(true);
    expect(peak).toBe(2);
    const [again] = await buildGraph([ir], { store, host, check: true });
    expect(again?.check).toEqual({ identical: true, differences: [] });
  });

  it("--check rebuilds in a fresh sandbox and finds identical bytes", async () => {
    const [res] = await buildGraph([libIR], { store, host, check: true });
    expect(res?.check).toEqual({ identical: true, differences: [] });
  });
});

describe("concurrency and crashes", () => {
  const child = (irFile: string, storeDir: string) =>
    spawn(process.execPath, ["--import", "tsx", join(__dirname, "fixtures", "build-child.mts"), irFile, storeDir], { stdio: ["ignore", "pipe", "pipe"] });
  const collect = (p: ReturnType<typeof child>) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      let out = "";
      let err = "";
      p.stdout?.on("data", (d: Buffer) => (out += d.toString()));
      p.stderr?.on("data", (d: Buffer) => (err += d.toString()));
      p.on("close", (code) => resolve({ code, out, err }));
    });

  it("two processes building one package: one builds, the other waits and reuses it", async () => {
    const ir = await cPackage("twice", writeSources(dir, "twice-src", { "t.c": "int main(void){return 0;}\n" }), { executables: [{ name: "t", sources: ["t.c"] }] }, { seed });
    const file = join(dir, "twice.json");
    writeFileSync(file, JSON.stringify(ir));
    const [a, b] = await Promise.all([collect(child(file, join(dir, "store"))), collect(child(file, join(dir, "store")))]);
    expect(a.code, a.err).toBe(0);
    expect(b.code, b.err).toBe(0);
    const built = [a, b].map((r) => JSON.parse(r.out.trim().split("\n").pop() as string) as { built: boolean });
    expect(built.map((r) => r.built).sort()).toEqual([false, true]);
  }, 180_000);

  it("kill -9 mid-build leaves no partial object and no stuck lock", async () => {
    const ir = await cPackage("killed", writeSources(dir, "killed-src", { "k.c": "int main(void){return 0;}\n" }), { executables: [{ name: "k", sources: ["k.c"] }] }, { seed });
    const file = join(dir, "killed.json");
    writeFileSync(file, JSON.stringify(ir));
    const p = child(file, join(dir, "store"));
    await new Promise<void>((resolve) => p.stdout?.on("data", (d: Buffer) => d.toString().includes("step-start") && resolve()));
    p.kill("SIGKILL");
    await new Promise((r) => p.on("close", r));
    const fresh = await openStore(join(dir, "store"));
    expect(fresh.has(storePathOf(ir))).toBe(false);
    expect(existsSync(join(dir, "store", "locks", pidOf(ir)))).toBe(true);
    expect(readdirSync(join(dir, "store", "builds")).some((n) => n.includes(`-${p.pid}-`))).toBe(true);
    const [res] = await buildGraph([ir], { store: fresh, host: await nodeBuildHost(fresh, { workers: 0 }) });
    expect(res?.built).toBe(true);
    expect(readdirSync(join(dir, "store", "locks"))).not.toContain(pidOf(ir));
    // The killed process's sandbox directories were swept by the next build host.
    expect(readdirSync(join(dir, "store", "builds")).some((n) => n.includes(`-${p.pid}-`))).toBe(false);
  }, 180_000);
});

describe("sandbox", () => {
  it("runs a tool a package built as a step, with exactly the declared env and only the closure in /nix/store", async () => {
    const probe = `#include <stdio.h>
#include <dirent.h>
extern char **environ;
int main(int argc, char **argv) {
  FILE *f = fopen(argv[1], "w");
  if (!f) return 3;
  for (char **e = environ; *e; e++) fprintf(f, "env %s\\n", *e);
  DIR *d = opendir("/nix/store");
  struct dirent *de;
  while (d && (de = readdir(d))) if (de->d_name[0] != '.') fprintf(f, "store %s\\n", de->d_name);
  fprintf(f, "passwd %s\\n", fopen("/etc/passwd", "r") ? "visible" : "hidden");
  fprintf(f, "home %s\\n", fopen("${process.env.HOME ?? "/root"}/.bashrc", "r") ? "visible" : "hidden");
  return fclose(f);
}
`;
    const tool = await cPackage("probe", writeSources(dir, "probe-src", { "probe.c": probe }), { executables: [{ name: "probe", sources: ["probe.c"] }] }, { seed });
    const toolPath = storePathOf(tool);
    const user: PackageIR = {
      ...(await cPackage("uses-probe", writeSources(dir, "empty-src", { "x.txt": "x\n" }), {}, { seed: toolPath })),
      inputs: { probe: tool },
      env: { GREETING: "hi" },
      steps: [{ id: "probe", tool: `${toolPath}/bin/probe.wasm`, args: ["probe", "$out/report.txt"], outputs: ["$out/report.txt"] }],
    };
    const [res] = await buildGraph([user], { store, host });
    const report = new TextDecoder().decode(store.view([res!.storePath]).readFile(`${res!.storePath.slice(11)}/report.txt`));
    const env = report.split("\n").filter((l) => l.startsWith("env ")).map((l) => l.slice(4).split("=")[0]).sort();
    // PWD comes from the runtime, which sets it to the step's cwd.
    expect(env).toEqual(["GREETING", "HOME", "NIX_BUILD_TOP", "PWD", "SOURCE_DATE_EPOCH", "TMPDIR", "out"]);
    expect(report).toContain("env PWD=/build\n");
    expect(report).toContain(`env out=${res!.storePath}\n`);
    expect(report).toContain("env SOURCE_DATE_EPOCH=1\n");
    const listed = report.split("\n").filter((l) => l.startsWith("store ")).map((l) => `/nix/store/${l.slice(6)}`).sort();
    expect(listed).toEqual([toolPath, res!.storePath].sort());
    expect(report).toContain("passwd hidden");
    expect(report).toContain("home hidden");
  });

  it("--check reports, file by file, a rebuild whose bytes differ", async () => {
    const [orig] = await buildGraph([appIR0()], { store, host });
    // Fault injection: a runner that corrupts the linker's output on the rebuild.
    const flaky: BuildHost = {
      ...host,
      executor: {
        slots: 1,
        async execute(req, signal) {
          const r = await host.executor.execute(req, signal);
          if (req.command.args[0] === "wasm-ld") {
            const out = req.mounts.find((m) => m.guest === orig!.storePath) as { host: string };
            writeFileSync(join(out.host, "bin", "hello.wasm"), "not the same bytes");
          }
          return r;
        },
      },
    };
    const [res] = await buildGraph([appIR0()], { store, host: flaky, check: true });
    expect(res?.check).toEqual({ identical: false, differences: [{ path: "bin/hello.wasm", kind: "changed" }] });
  });

  it("Ctrl-C (abort) mid-build stops before the next step and leaves no object", async () => {
    const ir = await cPackage("aborted", writeSources(dir, "aborted-src", { "a.c": "int a;\n", "b.c": "int b;\n" }), { libraries: [{ name: "x", sources: ["a.c", "b.c"] }] }, { seed });
    const ac = new AbortController();
    const err = await buildGraph([ir], { store, host, jobs: 1, signal: ac.signal, onProgress: (e) => e.type === "step-done" && ac.abort() }).catch((e: unknown) => e);
    expect(isEkaError(err, "E_ABORTED")).toBe(true);
    expect(store.has(storePathOf(ir))).toBe(false);
    expect(existsSync(join(dir, "store", "locks", pidOf(ir)))).toBe(false);
  });

  it("a runner failure mid-build leaves no object, releases the lock and keeps the log", async () => {
    const ir = await cPackage("doomed", writeSources(dir, "doomed-src", { "a.c": "int a;\n", "b.c": "int b;\n" }), { libraries: [{ name: "d", sources: ["a.c", "b.c"] }] }, { seed });
    let calls = 0;
    const failing: BuildHost = {
      ...host,
      executor: {
        slots: 1,
        async execute(req, signal) {
          if (++calls === 3) throw new Error("injected: worker lost");
          return host.executor.execute(req, signal);
        },
      },
    };
    await expect(buildGraph([ir], { store, host: failing })).rejects.toThrow(/injected: worker lost/);
    expect(store.has(storePathOf(ir))).toBe(false);
    expect(existsSync(join(dir, "store", "locks", pidOf(ir)))).toBe(false);
    expect(buildStateFor(store).readLog(storePathOf(ir))).toMatch(/== step cc:libd\/a\.c/);
    const [ok] = await buildGraph([ir], { store, host });
    expect(ok?.built).toBe(true);
  });
});

describe("eka log", () => {
  const eka = (...args: string[]) => spawnSync(process.execPath, [join(__dirname, "../../bin/eka.js"), "log", ...args], { encoding: "utf8", env: { ...process.env, EKA_STORE: join(dir, "store") } });

  it("prints a package's build log by store path (or a path inside it)", () => {
    const r = eka(`${storePathOf(appIR0())}/bin/hello.wasm`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/== step cc:hello\/main\.c\n\$ clang /);
    const j = eka("--json", storePathOf(appIR0()));
    expect(JSON.parse(j.stdout)).toMatchObject({ storePath: storePathOf(appIR0()) });
  });

  it("says clearly when there is no log, and rejects a non-path", () => {
    const none = eka("/nix/store/00000000000000000000000000000000-nothing");
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/E_NO_LOG.*no build log/);
    const bad = eka("hello");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/neither a store path/);
  });
});
