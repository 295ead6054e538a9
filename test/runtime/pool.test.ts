// The worker pool with the real seed clang: parallel compile jobs, modules sent once per worker,
// in-memory mounts collected back, and the wall-time limit and abort signals (a runaway guest is
// stopped, the worker replaced).
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import wabtInit from "wabt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isEkaError } from "../../src/errors.ts";
import { runWasi } from "../../src/runtime/index.ts";
import { compileModule } from "../../src/runtime/modules.ts";
import { WorkerPool } from "../../src/runtime/pool.node.ts";
import { seedFiles } from "../../src/bootstrap/seed.node.ts";
import { clangJob, sysrootMount } from "../../src/toolchains/clang/pool.node.ts";
import { sysrootDir } from "../../src/toolchains/clang/seed.node.ts";

const fixtures = join(import.meta.dirname, "../toolchains/fixtures/multi");

describe("WorkerPool", () => {
  let dir: string;
  let pool: WorkerPool;
  let seed: string;
  let sysroot: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "eka-pool-test-"));
    cpSync(fixtures, dir, { recursive: true });
    pool = new WorkerPool({ size: 2 });
    seed = await pool.addModule(readFileSync(seedFiles().wasm));
    sysroot = await sysrootDir(seedFiles().resources);
  });

  afterAll(async () => {
    await pool?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("runs compile jobs on two workers at once and returns their outputs", async () => {
    const compileJob = (file: string) =>
      pool.run(
        clangJob(seed, ["-O1", "-c", file, "-o", `/out/${file.replace(".c", ".o")}`], {
          // Relative source names, resolved in the job's cwd.
          cwd: "/src",
          sysroot,
          mounts: [
            { guest: "/src", kind: "host", path: dir, readonly: true },
            { guest: "/out", kind: "memory", collect: true },
          ],
        }),
      );
    const results = await Promise.all(["main.c", "area.c", "greet.c"].map(compileJob));
    for (const r of results) expect(new TextDecoder().decode(r.stderr)).toBe("");
    expect(results.map((r) => r.exitCode)).toEqual([0, 0, 0]);
    expect(pool.stats.peakBusy).toBe(2);
    expect(new Set(results.map((r) => r.threadId)).size).toBe(2);
    // Each worker got the 75 MB compiled module once, not once per job.
    expect(pool.stats.modulesSent).toBe(2);

    // Link the collected objects in a third job, then run the program.
    const objects: Record<string, Uint8Array> = {};
    for (const r of results) Object.assign(objects, r.files?.["/out"]);
    expect(Object.keys(objects).sort()).toEqual(["area.o", "greet.o", "main.o"]);
    const link = await pool.run(
      clangJob(seed, ["-o", "/o/prog.wasm", "/o/main.o", "/o/area.o", "/o/greet.o"], { sysroot, mounts: [{ guest: "/o", kind: "memory", files: objects, collect: true }] }),
    );
    expect(link.exitCode).toBe(0);
    const prog = link.files?.["/o"]?.["prog.wasm"] as Uint8Array;
    const { module } = await compileModule(prog);
    const r = await runWasi(module, { args: ["prog"], env: {}, preopens: [] });
    expect(new TextDecoder().decode(r.stdout)).toBe("total area x100 = 4656\nargc=1 first=-\nhello from seed\n");
    expect(pool.stats.modulesSent).toBe(2);
  });

  it("stops a job past its wall-time limit with E_TIMEOUT and keeps serving", async () => {
    const wabt = await wabtInit();
    const wat = '(module (memory (export "memory") 1) (func (export "_start") (loop $l (br $l))))';
    const spin = wabt.parseWat("spin.wat", wat).toBinary({}).buffer;
    const key = await pool.addModule(spin);
    const t0 = performance.now();
    const err = await pool.run({ module: key, args: ["spin"], mounts: [], timeoutMs: 300 }).catch((e: unknown) => e);
    expect(isEkaError(err, "E_TIMEOUT")).toBe(true);
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(pool.stats.timeouts).toBe(1);
    // The replacement worker runs the next job.
    const ok = await pool.run(clangJob(seed, ["--version"], { sysroot }));
    expect(ok.exitCode).toBe(0);
    expect(new TextDecoder().decode(ok.stdout)).toMatch(/^clang version/);
  });

  it("an aborted signal stops running and queued jobs at once with E_ABORTED and keeps serving", async () => {
    const wabt = await wabtInit();
    const wat = '(module (memory (export "memory") 1) (func (export "_start") (loop $l (br $l))))';
    const key = await pool.addModule(wabt.parseWat("spin.wat", wat).toBinary({}).buffer);
    const ac = new AbortController();
    const t0 = performance.now();
    // Two run (the pool has two workers), the third waits in the queue.
    const jobs = [1, 2, 3].map((i) => pool.run({ module: key, args: [`spin${i}`], mounts: [] }, { signal: ac.signal }).catch((e: unknown) => e));
    setTimeout(() => ac.abort(), 200);
    const errors = await Promise.all(jobs);
    expect(errors.map((e) => isEkaError(e, "E_ABORTED"))).toEqual([true, true, true]);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(isEkaError(await pool.run({ module: key, args: ["late"], mounts: [] }, { signal: ac.signal }).catch((e: unknown) => e), "E_ABORTED")).toBe(true);
    const ok = await pool.run(clangJob(seed, ["--version"], { sysroot }));
    expect(ok.exitCode).toBe(0);
  });

  it("builds a 'module' mount inside the worker from a module URL and options", async () => {
    const runtime = pathToFileURL(join(import.meta.dirname, "../../src/runtime/index.ts")).href;
    const code = `import { MemoryFS, writeFile } from ${JSON.stringify(runtime)};
      export function sources(o) { const fs = new MemoryFS(); writeFile(fs, "only.c", new TextEncoder().encode(o.text)); return fs; }`;
    const r = await pool.run(
      clangJob(seed, ["-E", "-P", "/src/only.c"], {
        sysroot,
        mounts: [{ guest: "/src", kind: "module", url: `data:text/javascript,${encodeURIComponent(code)}`, exportName: "sources", options: { text: "#define N 6\nint n = N * 7;\n" } }],
      }),
    );
    expect(new TextDecoder().decode(r.stderr)).toBe("");
    expect(new TextDecoder().decode(r.stdout).trim()).toBe("int n = 6 * 7;");
  });

  it("runs a single seed tool as a plain WASI job with the sysroot mounted", async () => {
    const r = await pool.run({ module: seed, args: ["ar", "t", "/usr/lib/wasm32-wasip1/libc.a"], mounts: [sysrootMount(sysroot)] });
    expect(r.exitCode).toBe(0);
    expect(new TextDecoder().decode(r.stdout).split("\n")).toContain("printf.c.obj");
  });

  it("names an unknown module and an unknown mount kind", async () => {
    const unknown = await pool.run({ module: "0".repeat(64), args: ["x"], mounts: [] }).catch((e: unknown) => e);
    expect(isEkaError(unknown, "E_UNKNOWN_MODULE")).toBe(true);
    const badMount = await pool
      .run({ module: seed, args: ["clang", "--version"], mounts: [{ guest: "/x", kind: "nfs" } as never] })
      .catch((e: unknown) => e);
    expect(isEkaError(badMount, "E_MOUNT_KIND")).toBe(true);
    expect((badMount as Error).message).toContain("'nfs'");
    const notWasm = await pool.addModule(new TextEncoder().encode("#!/bin/sh\necho hi\n")).catch((e: unknown) => e);
    expect(isEkaError(notWasm, "E_WASM_COMPILE")).toBe(true);
  });
});

