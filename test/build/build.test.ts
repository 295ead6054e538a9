import { spawn } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildGraph, buildStateFor, ensureSeed, nodeBuildHost, runProgram } from "../../src/build/node.ts";
import type { BuildHost, ProgressEvent } from "../../src/build/index.ts";
import { isEkaError } from "../../src/errors.ts";
import { initIR, pidOf, storePathOf, type PackageIR } from "../../src/ir/index.ts";
import { openStore, type Store } from "../../src/store/open.node.ts";
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
  const r = await runProgram(storePath, program, [], { store, runner: host.runner, sandboxes: host.sandboxes });
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
afterAll(() => store?.close());

describe("buildGraph", () => {
  let libIR: PackageIR;
  let appIR: PackageIR;

  it("builds a multi-file C library and an executable that links it, from declared inputs only, and runs it", async () => {
    libIR = await lib();
    appIR = await app(libIR);
    const rec = recorder();
    const [res] = await buildGraph([appIR], { store, host, onProgress: (e) => rec.events.push(e) });
    expect(res).toMatchObject({ storePath: storePathOf(appIR), pid: pidOf(appIR), built: true });
    expect(rec.ran().sort()).toEqual(["ar:libgreet", "cc:hello/main.c", "cc:libgreet/a.c", "cc:libgreet/b.c", "cc:libgreet/c.c", "install-headers:libgreet", "ld:hello"]);
    expect(store.has(storePathOf(libIR))).toBe(true);
    expect(await run(storePathOf(appIR), "hello")).toBe("hello from greet: 42\n");
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

  it("stores identical outputs of two different IRs once: one cid, two pids", async () => {
    const a = await lib(greetFiles);
    const b = { ...a, config: { note: "same output, different pid" } };
    const [ra, rb] = await buildGraph([a, b], { store, host });
    expect(ra?.pid).not.toBe(rb?.pid);
    expect(ra?.storePath).not.toBe(rb?.storePath);
    expect(ra?.cid).toBe(rb?.cid);
    expect(store.realisations.pidsFor(ra?.cid as never).sort()).toEqual([ra?.pid, rb?.pid].sort());
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
    const [res] = await buildGraph([ir], { store: fresh, host });
    expect(res?.built).toBe(true);
    expect(readdirSync(join(dir, "store", "locks"))).not.toContain(pidOf(ir));
  }, 180_000);
});
