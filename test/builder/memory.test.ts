// The browser path: memory store, MemoryFS sandboxes, commands in this thread (no pool, no host
// directories). Node is used only to read the seed's files from node_modules.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { importSeed } from "../../src/bootstrap/index.ts";
import { buildGraph, InThreadExecutor, type BuildHost } from "../../src/builder/index.ts";
import { MemorySandboxHost } from "../../src/builder/memory-sandbox.ts";
import { runProgram } from "../../src/builder/run-program.ts";
import type { SourceHost } from "../../src/builder/sources.ts";
import { narHash } from "../../src/store/hash.ts";
import { MemoryTree } from "../../src/store/memory-tree.ts";
import { initIR, storePathOf, type PackageIR } from "../../src/ir/index.ts";
import { openStore } from "../../src/store/index.ts";
import { cbuildSteps } from "../../src/toolchains/cbuild/index.ts";

it("builds and runs a C program with a memory store and in-memory sandboxes", async () => {
  await initIR();
  const store = await openStore("memory:");
  const gen = join(__dirname, "../../node_modules/@yowasp/clang/gen");
  const seed = await importSeed(store, "test", async () => ({
    wasm: new Uint8Array(readFileSync(join(gen, "llvm.core.wasm"))),
    resourcesTar: new Uint8Array(readFileSync(join(gen, "llvm-resources.tar"))),
  }));
  const tree = new MemoryTree();
  tree.put("main.c", { kind: "file", data: new TextEncoder().encode('#include <stdio.h>\nint main(void) { puts("in memory"); return 0; }\n'), executable: false });
  // Sources come from wherever the embedder has them: here, from memory.
  const sources: SourceHost = { readPath: async () => tree };
  const ir: PackageIR = {
    irVersion: 1,
    name: "memhello",
    version: "1",
    platform: { build: "wasm32-wasip1", host: "wasm32-wasip1" },
    inputs: { seed },
    sources: { src: { kind: "path", path: "mem", hash: "blake3:" + narHash(tree, "blake3") } },
    config: null,
    env: {},
    steps: cbuildSteps({ executables: [{ name: "memhello", sources: ["main.c"] }] }),
    outputs: ["out"],
  };
  const host: BuildHost = { executor: new InThreadExecutor(), sandboxes: new MemorySandboxHost(), sources };
  const [res] = await buildGraph([ir], { store, host });
  expect(res?.storePath).toBe(storePathOf(ir));
  const r = await runProgram(storePathOf(ir), "memhello", [], { store, executor: host.executor, sandboxes: host.sandboxes });
  expect(new TextDecoder().decode(r.stdout)).toBe("in memory\n");
}, 120_000);

it("refuses a seed whose bytes differ from the pin of its version, importing nothing", async () => {
  const store = await openStore("memory:");
  const gen = join(__dirname, "../../node_modules/@yowasp/clang/gen");
  const wasm = new Uint8Array(readFileSync(join(gen, "llvm.core.wasm")));
  wasm[wasm.length - 1] = (wasm[wasm.length - 1] as number) ^ 1;
  const err = await importSeed(store, "22.0.0-git20542-10", async () => ({ wasm, resourcesTar: new Uint8Array(readFileSync(join(gen, "llvm-resources.tar"))) })).catch((e: unknown) => e);
  expect(String(err)).toMatch(/E_HASH_MISMATCH|does not match its pin/);
  expect(String((err as Error).message)).toMatch(/expected: blake3:16b80ffe.*\n.*actual: {3}blake3:/);
  expect(store.pathInfo.list()).toEqual([]);
});
