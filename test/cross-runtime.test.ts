// The promise eka is built on: the same build gives the same bytes on every JavaScript runtime.
// eka's core (runtime + seed toolchain, bundled as a browser would load it) compiles and links a
// C program in memory, then runs it, once under Node and once under Bun; the outputs must be
// byte-identical and the program must print the same thing.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedFiles } from "../src/bootstrap/seed.node.ts";

const root = join(import.meta.dirname, "..");
const bun = join(root, "node_modules/.bin/bun");

const entry = `
export { compile, sysrootMemoryFS } from "./src/toolchains/clang/index.ts";
export { compileModule } from "./src/runtime/modules.ts";
export { MemoryFS, runWasi, readFile, writeFile } from "./src/runtime/index.ts";
export { initBlake3, blake3, toHex } from "./src/util/blake3.ts";
`;

// Runs under either runtime: reads the seed with node:fs (both runtimes have it), compiles two
// files at -O2 deterministically, links, runs, and prints what it made as JSON.
const driver = (bundle: string) => `
import { readFileSync } from "node:fs";
import * as eka from ${JSON.stringify(bundle)};
const [wasmPath, tarPath] = process.argv.slice(2);
await eka.initBlake3();
const [{ module }, sysroot] = await Promise.all([
  eka.compileModule(readFileSync(wasmPath)),
  eka.sysrootMemoryFS(readFileSync(tarPath)),
]);
const work = new eka.MemoryFS();
const enc = new TextEncoder();
eka.writeFile(work, "main.c", enc.encode('#include <stdio.h>\\nunsigned long fib(unsigned);\\nint main(void) { printf("fib(40)=%lu\\\\n", fib(40)); return 0; }\\n'));
eka.writeFile(work, "fib.c", enc.encode('unsigned long fib(unsigned n) { unsigned long a = 0, b = 1; while (n--) { unsigned long t = a + b; a = b; b = t; } return a; }\\n'));
const c = await eka.compile(["-O2", "-o", "/w/prog.wasm", "/w/main.c", "/w/fib.c"], {
  module, sysroot, mounts: [{ guest: "/w", fs: work }], deterministic: {},
});
const bytes = eka.readFile(work, "prog.wasm");
const prog = await eka.compileModule(bytes);
const run = await eka.runWasi(prog.module, { args: ["prog"], env: {}, preopens: [] });
console.log(JSON.stringify({
  exitCode: c.exitCode,
  stderr: new TextDecoder().decode(c.stderr),
  size: bytes.length,
  blake3: eka.toHex(eka.blake3(bytes)),
  stdout: new TextDecoder().decode(run.stdout),
}));
`;

describe.skipIf(!existsSync(bun))("the same bytes under Node and Bun", () => {
  const dir = mkdtempSync(join(tmpdir(), "eka-cross-runtime-"));
  let script = "";
  beforeAll(async () => {
    const bundle = join(dir, "eka-core.mjs");
    await build({
      stdin: { contents: entry, resolveDir: root, loader: "ts" },
      bundle: true,
      platform: "browser",
      format: "esm",
      outfile: bundle,
      logLevel: "silent",
    });
    script = join(dir, "compile.mjs");
    writeFileSync(script, driver(bundle));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function runUnder(cmd: string): { exitCode: number; stderr: string; size: number; blake3: string; stdout: string } {
    const files = seedFiles();
    const r = spawnSync(cmd, [script, files.wasm, files.resources], { encoding: "utf8", timeout: 240_000 });
    expect(r.stderr.replace(/^\(node:\d+\) .*\n|^\(Use `node --trace-warnings.*\n/gm, "")).toBe("");
    expect(r.status).toBe(0);
    return JSON.parse(r.stdout.trim().split("\n").pop() as string);
  }

  it("compiles, links and runs a two-file C program to identical bytes", () => {
    const underNode = runUnder(process.execPath);
    const underBun = runUnder(bun);
    expect(underNode.exitCode).toBe(0);
    expect(underNode.stderr).toBe("");
    expect(underNode.stdout).toBe("fib(40)=102334155\n");
    expect(underNode.size).toBeGreaterThan(1000);
    expect(underBun).toEqual(underNode);
  }, 300_000);
});
