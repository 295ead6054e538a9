// The seed without a disk: src/toolchains/clang bundled by esbuild for the browser platform (so no
// `node:` import can sneak in), then that bundle compiles and links a program entirely in memory —
// the sysroot unpacked into a MemoryFS, sources and outputs in a MemoryFS — as a web page would.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { seedFiles } from "../../../src/bootstrap/seed.node.ts";

const root = join(import.meta.dirname, "../../..");
const entry = `
export { compile, sysrootMemoryFS } from "./src/toolchains/clang/index.ts";
export { compileModule } from "./src/runtime/modules.ts";
export { MemoryFS, runWasi, readFile, writeFile } from "./src/runtime/index.ts";
`;

describe("the seed in a browser-style bundle", () => {
  const dir = mkdtempSync(join(tmpdir(), "eka-seed-browser-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("bundles for the browser and compiles + links + runs a program in memory", async () => {
    const out = join(dir, "seed.mjs");
    const r = await build({
      stdin: { contents: entry, resolveDir: root, loader: "ts" },
      bundle: true,
      platform: "browser",
      format: "esm",
      outfile: out,
      logLevel: "silent",
    });
    expect(r.errors).toEqual([]);
    expect(readFileSync(out, "utf8")).not.toMatch(/from ["']node:/);

    type Api = typeof import("../../../src/toolchains/clang/index.ts") &
      typeof import("../../../src/runtime/modules.ts") &
      typeof import("../../../src/runtime/index.ts");
    const api = (await import(pathToFileURL(out).href)) as Api;
    // A browser would fetch these two files; here they come from the installed package.
    const files = seedFiles();
    const [{ module }, sysroot] = await Promise.all([api.compileModule(readFileSync(files.wasm)), api.sysrootMemoryFS(readFileSync(files.resources))]);
    const work = new api.MemoryFS();
    api.writeFile(work, "hi.c", new TextEncoder().encode('#include <stdio.h>\nint main(void) { puts("hi from memory"); return 0; }\n'));
    const c = await api.compile(["-O1", "-o", "/w/hi.wasm", "/w/hi.c"], { module, sysroot, mounts: [{ guest: "/w", fs: work }] });
    expect(new TextDecoder().decode(c.stderr)).toBe("");
    expect(c.exitCode).toBe(0);
    const prog = await api.compileModule(api.readFile(work, "hi.wasm"));
    const run = await api.runWasi(prog.module, { args: ["hi"], env: {}, preopens: [] });
    expect(new TextDecoder().decode(run.stdout)).toBe("hi from memory\n");
  });
});

