// The published entries: `dist/index.mjs` imported by plain Node (no tsx), and `dist/browser.mjs`
// free of node: imports. Both are made by scripts/build.mjs (run before the suite).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const script = String.raw`
import * as eka from "${process.cwd()}/dist/index.mjs";
import wabtInit from "wabt";
const wabt = await wabtInit();
const wat = '(module (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))' +
  ' (memory (export "memory") 1) (data (i32.const 16) "embedded\\n")' +
  ' (func (export "_start") (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 9))' +
  ' (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))';
const bytes = wabt.parseWat("t.wat", wat).toBinary({}).buffer;
const result = await eka.runWasi(await WebAssembly.compile(bytes), { args: ["t"], env: {}, preopens: [] });
process.stdout.write(new TextDecoder().decode(result.stdout));
const store = await eka.openStore("memory:");
const tree = new eka.store.MemoryTree();
tree.directory("");
async function* one() { yield new TextEncoder().encode("hi\n"); }
await tree.file("greeting", false, 3, one());
const info = eka.store.addSource(store, tree, "", "greeting");
console.log(info.storePath, store.has(info.storePath));
`;

describe("library entry points", () => {
  it("dist/index.mjs runs a WASI program and stores a tree from plain Node", () => {
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    const [out, line] = r.stdout.split("\n");
    expect(out).toBe("embedded");
    expect(line).toMatch(/^\/nix\/store\/[0-9a-df-np-sv-z]{32}-greeting true$/);
  });

  it("dist/browser.mjs imports no node: module", () => {
    const bundle = readFileSync("dist/browser.mjs", "utf8");
    expect(bundle.length).toBeGreaterThan(10_000);
    expect(bundle).not.toMatch(/from\s*["']node:|import\(\s*["']node:|require\(\s*["']node:/);
  });
});
