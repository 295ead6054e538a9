// The reproducibility matrix: the first differing file and byte of two store objects in two real
// stores, and whole runs of `eka build` under Node and Bun (the same cid) and from a checkout whose
// source differs by one byte (reported with the file and offset).
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { compareStoreObjects } from "../../src/bootstrap/compare.node.ts";
import { defaultMatrix, matrixCommand, parseRuntimes, renderReport, runMatrix, type MatrixResult } from "../../src/bootstrap/matrix.node.ts";
import { digestOf } from "../../src/store/digest.ts";
import { MemoryTree } from "../../src/store/memory-tree.ts";
import { openStore, removeReadOnlyTree } from "../../src/store/open.node.ts";
import { makeStorePath } from "../../src/store/store-path.ts";

const repo = join(import.meta.dirname, "..", "..");
const bun = join(repo, "node_modules", ".bin", "bun");
const tmp = mkdtempSync(join(tmpdir(), "eka-matrix-test-"));
afterAll(() => removeReadOnlyTree(tmp));

const utf8 = new TextEncoder();
const libfaketime = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib"].some((d) => existsSync(join(d, "faketime", "libfaketimeMT.so.1")));

/** A store at `dir` holding one path `name` made of `files` (path → bytes, or a symlink/dir entry). */
async function storeWith(dir: string, name: string, edit: (t: MemoryTree) => void): Promise<string> {
  const tree = new MemoryTree();
  tree.put("README", { kind: "file", data: utf8.encode("tiny\n"), executable: false });
  tree.put("bin/tool", { kind: "file", data: utf8.encode("#!/bin/sh\necho hi\n"), executable: true });
  const big = new Uint8Array(5000).map((_, i) => (i * 7) & 0xff);
  tree.put("lib/data.bin", { kind: "file", data: big, executable: false });
  tree.put("lib/link", { kind: "symlink", target: "data.bin" });
  edit(tree);
  const store = await openStore(pathToFileURL(dir).href);
  try {
    const storePath = makeStorePath(digestOf(utf8.encode(dir + name)), name);
    store.ingest(tree, "", { storePath });
    return storePath;
  } finally {
    store.close();
  }
}

describe("compareStoreObjects", () => {
  it("finds the one differing byte of one file across two stores, and each other kind of difference", async () => {
    const base = (t: MemoryTree) => void t;
    const a = join(tmp, "store a");
    const pa = await storeWith(a, "tiny-1.0", base);
    const cases: Array<[string, (t: MemoryTree) => void, unknown]> = [
      ["same", base, null],
      [
        "byte",
        (t) => {
          const data = (t.entry("lib/data.bin") as { data: Uint8Array }).data.slice();
          data[4321] = (data[4321] ?? 0) ^ 1;
          t.put("lib/data.bin", { kind: "file", data, executable: false });
        },
        { path: "lib/data.bin", kind: "content", offset: 4321 },
      ],
      ["longer", (t) => t.put("README", { kind: "file", data: utf8.encode("tiny\nmore\n"), executable: false }), { path: "README", kind: "content", offset: 5 }],
      ["gone", (t) => t.remove("bin/tool"), { path: "bin/tool", kind: "missing", missingFrom: "b" }],
      ["extra", (t) => t.put("lib/extra", { kind: "file", data: utf8.encode("x"), executable: false }), { path: "lib/extra", kind: "missing", missingFrom: "a" }],
      ["mode", (t) => t.put("bin/tool", { kind: "file", data: utf8.encode("#!/bin/sh\necho hi\n"), executable: false }), { path: "bin/tool", kind: "mode" }],
      ["type", (t) => t.put("lib/link", { kind: "file", data: utf8.encode("data.bin"), executable: false }), { path: "lib/link", kind: "type" }],
      ["target", (t) => t.put("lib/link", { kind: "symlink", target: "data.bim" }), { path: "lib/link", kind: "content", offset: 7 }],
    ];
    for (const [name, edit, expected] of cases) {
      const b = join(tmp, `store b ${name}`);
      const pb = await storeWith(b, `tiny-${name}-1.0`, edit);
      expect(await compareStoreObjects(a, pa, b, pb), name).toEqual(expected);
    }
    // Where two files differ, the first in path order (README before lib/) is the one reported.
    const b = join(tmp, "store b two");
    const pb = await storeWith(b, "tiny-two-1.0", (t) => {
      t.put("README", { kind: "file", data: utf8.encode("tinY\n"), executable: false });
      const data = new Uint8Array(5000);
      t.put("lib/data.bin", { kind: "file", data, executable: false });
    });
    expect(await compareStoreObjects(a, pa, b, pb)).toEqual({ path: "README", kind: "content", offset: 3 });
    await expect(compareStoreObjects(a, pb, b, pb)).rejects.toMatchObject({ code: "E_NOT_IN_STORE" });
  });
});

describe("runMatrix", () => {
  it.skipIf(!existsSync(bun))("builds examples/greet-app from empty stores under Node and Bun and gets the same cid", async () => {
    const result = await runMatrix(
      [
        { name: "node", runtime: "node" },
        { name: "bun", runtime: "bun" },
      ],
      { argv: ["build", "{root}/examples/greet-app", "--json"], repo },
    );
    expect(result.configs.map((r) => [r.name, r.ok, r.error])).toEqual([
      ["node", true, undefined],
      ["bun", true, undefined],
    ]);
    expect(result.atoms).toEqual(["greet-app"]);
    expect(result.configs.map((r) => r.cells[0]?.status)).toEqual(["same", "same"]);
    expect(result.configs[0]?.cells[0]?.cid).toMatch(/^[0-9a-f]{64}$/);
    expect(result.configs[1]?.cells[0]?.cid).toBe(result.configs[0]?.cells[0]?.cid);
    expect(result.facts.runtimes.bun).toMatch(/^Bun \d/);
    expect(result.ok).toBe(true);
  });

  it("reports a checkout whose source differs by one byte as differing, naming the package, file and offset", async () => {
    const other = join(tmp, "other checkout");
    cpSync(join(repo, "examples", "hello"), join(other, "examples", "hello"), { recursive: true });
    const src = join(other, "examples", "hello", "src", "hello.c");
    writeFileSync(src, readFileSync(src, "utf8").replace("Hello from eka", "Jello from eka"));
    const work = join(tmp, "work");
    let out = "";
    let err = "";
    const report = join(tmp, "reproducibility.md");
    const code = await matrixCommand({
      kinds: [
        { name: "node", runtime: "node" },
        { name: "changed", runtime: "node", root: other },
      ],
      argv: ["build", "{root}/examples/hello", "--json"],
      json: true,
      report,
      out: { write: (s: string) => (out += s) },
      err: { write: (s: string) => (err += s) },
      repo,
      workDir: work,
    });
    expect(code).toBe(1);
    const result = JSON.parse(out) as MatrixResult;
    const cell = result.configs[1]?.cells[0];
    expect(cell?.status).toBe("differs");
    expect(result.configs[0]?.cells[0]?.status).toBe("same");
    const d = cell?.difference;
    expect(d?.kind).toBe("content");
    // The one changed byte is the greeting's first letter, wherever the linker put it.
    const store = await openStore(pathToFileURL(result.configs[1]?.storeDir as string).href, { create: false });
    const bytes = store.readFile(cell?.storePath as string, d?.path as string);
    store.close();
    const at = Buffer.from(bytes).indexOf("Jello from eka");
    expect(at).toBeGreaterThan(0);
    expect(d?.offset).toBe(at);
    expect(err).toMatch(/\[1\/2\] node: 1 atom, [\d.]+ s/);
    expect(err).toContain(`eka: changed: hello differs from node: ${cell?.storePath}/${d?.path} differs at byte ${at}`);
    const md = readFileSync(report, "utf8");
    expect(md).toMatch(/^<!-- Generated by .*Do not edit by hand/);
    expect(md).toMatch(new RegExp(`\\| hello \\| \`[0-9a-f]{16}…\` \\| same \\| differs \\(${d?.path} @${at}\\) \\|`));
    expect(md).toContain("## What a real macOS or Windows run would still need to confirm");
    expect(renderReport(result)).toBe(md);
  });
});

describe("the matrix's axes", () => {
  it("lists every axis issue 12 asks for, on the runtimes given", () => {
    expect(defaultMatrix("runtimes").map((c) => c.name)).toEqual(["node", "bun"]);
    const all = defaultMatrix("all", parseRuntimes("bun,node"));
    expect(all.map((c) => c.name)).toEqual(["bun", "node", "1 worker", "other store", "other checkout", "TZ, LANG, umask", "fixed clock"]);
    expect(all.slice(2).every((c) => c.runtime === "bun")).toBe(true);
    expect(() => parseRuntimes("node,deno")).toThrow(/'deno' is not a runtime the matrix can run/);
  });

  it.skipIf(!libfaketime)("really stops the wall clock and applies the umask in the child", async () => {
    const work = join(tmp, "axes");
    const result = await runMatrix([{ name: "frozen", runtime: "node", faketime: "2001-02-03 04:05:06", umask: 0o077 }], { argv: ["build", "{root}/examples/hello", "--json"], repo, workDir: work });
    const run = result.configs[0];
    expect(run?.error).toBeUndefined();
    const store = await openStore(pathToFileURL(run?.storeDir as string).href, { create: false });
    const info = store.queryPathInfo(run?.cells[0]?.storePath as string);
    store.close();
    // libfaketime reads the time as local time, in the zone the child inherits from this process.
    expect(info?.registrationTime).toBe(new Date(2001, 1, 3, 4, 5, 6).getTime() / 1000);
    const shard = readdirSync(join(run?.storeDir as string, "objects", "blob"))[0] as string;
    const blob = readdirSync(join(run?.storeDir as string, "objects", "blob", shard))[0] as string;
    expect(statSync(join(run?.storeDir as string, "objects", "blob", shard, blob)).mode & 0o777).toBe(0o400);
  });
});
