// The step executor's contract: an executor that builds nothing in the sandbox but hands back the
// outputs (as a remote one would) slots in without the planner or package execution knowing, and
// the in-thread executor reads stdin when the program asks and streams what it writes.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureSeed } from "../../src/bootstrap/seed.node.ts";
import { buildGraph, type BuildHost, type ExecRequest } from "../../src/builder/index.ts";
import { nodeBuildHost, runProgram } from "../../src/builder/index.node.ts";
import { MemorySandboxHost } from "../../src/builder/memory-sandbox.ts";
import { narHash } from "../../src/store/hash.ts";
import { MemoryTree } from "../../src/store/memory-tree.ts";
import { initIR, storePathOf, type PackageIR } from "../../src/ir/index.ts";
import { openStore as openFileStore, removeReadOnlyTree } from "../../src/store/open.node.ts";
import { openStore } from "../../src/store/index.ts";
import { makeStorePath } from "../../src/store/store-path.ts";
import { blake3 } from "../../src/util/blake3.ts";
import { cPackage, tempDir, writeSources } from "./helpers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

beforeAll(initIR);

describe("an executor that returns outputs instead of writing the sandbox", () => {
  it("is given the command, declared inputs and outputs, and its outputs are installed, cached and ingested", async () => {
    const store = await openStore("memory:");
    // A tool package: its module's bytes are all the executor needs to fetch, by key.
    const tool = new MemoryTree();
    tool.put("bin/shout.wasm", { kind: "file", data: enc.encode("\0asm not really"), executable: false });
    const toolPath = makeStorePath(blake3(enc.encode("test tool")), "shout-1");
    store.ingest(tool, "", { storePath: toolPath, references: [] });
    const src = new MemoryTree();
    src.put("in.txt", { kind: "file", data: enc.encode("quiet\n"), executable: false });
    const ir = (note: string): PackageIR => ({
      irVersion: 1,
      name: "loud",
      version: "1",
      platform: { build: "wasm32-wasip1", host: "wasm32-wasip1" },
      inputs: { shout: toolPath },
      sources: { src: { kind: "path", path: "mem", hash: "blake3:" + narHash(src, "blake3") } },
      config: { note },
      env: {},
      steps: [{ id: "shout", tool: `${toolPath}/bin/shout.wasm`, args: ["shout", "/build/src/in.txt", "$out/out.txt"], inputs: ["/build/src/in.txt"], outputs: ["$out/out.txt"] }],
      outputs: ["out"],
    });
    const seen: ExecRequest[] = [];
    const remote: BuildHost["executor"] = {
      slots: 4,
      async execute(req) {
        seen.push(req);
        const out = new MemoryTree();
        out.put("out.txt", { kind: "file", data: enc.encode("QUIET\n"), executable: false });
        return { exitCode: 0, stdout: enc.encode("ran remotely\n"), stderr: new Uint8Array(), outputs: new Map([[req.outputs[0] as string, { tree: out, root: "out.txt" }]]) };
      },
    };
    const host: BuildHost = { executor: remote, sandboxes: new MemorySandboxHost(), sources: { readPath: async () => src } };
    const first = ir("first");
    const [res] = await buildGraph([first], { store, host });
    const outPath = storePathOf(first);
    expect(res).toMatchObject({ storePath: outPath, built: true });
    expect(dec.decode(store.view([outPath]).readFile(`${outPath.slice(11)}/out.txt`))).toBe("QUIET\n");
    const [req] = seen as [ExecRequest];
    expect(req.command).toMatchObject({ args: ["shout", "/build/src/in.txt", `${outPath}/out.txt`], cwd: "/build", module: { key: `${toolPath}/bin/shout.wasm` } });
    expect(dec.decode(req.command.module.bytes())).toBe("\0asm not really");
    expect(req.command.env).toMatchObject({ out: outPath, SOURCE_DATE_EPOCH: "1" });
    expect(req.inputs).toEqual([["/build/src/in.txt", expect.stringMatching(/^[0-9a-f]{64}$/)]]);
    expect(req.storePaths).toEqual([toolPath]);
    expect(req.outputs).toEqual([`${outPath}/out.txt`]);
    // A new pid with the same inputs is an action-cache hit: the executor is not asked again.
    const [again] = await buildGraph([ir("second")], { store, host });
    expect(again?.cid).toBe(res?.cid);
    expect(seen.length).toBe(1);
  });
});

describe("the in-thread executor", () => {
  let dir = "";
  afterAll(() => dir && removeReadOnlyTree(dir));

  it("reads stdin only when the program asks, and streams each line the program writes", async () => {
    dir = tempDir("exec-test");
    const store = await openFileStore(join(dir, "store"));
    const seed = await ensureSeed(store);
    const upper = `#include <ctype.h>
#include <stdio.h>
int main(void) {
  int c;
  while ((c = getchar()) != EOF) {
    putchar(toupper(c));
    if (c == '\\n') fflush(stdout);
  }
  return 0;
}
`;
    const ir = await cPackage("upper", writeSources(dir, "upper-src", { "upper.c": upper }), { executables: [{ name: "upper", sources: ["upper.c"] }] }, { seed });
    await buildGraph([ir], { store, host: await nodeBuildHost(store, { workers: 0 }) });
    const chunks = ["ab\n", "cd\n"];
    const written: string[] = [];
    const outputAtRead: string[] = [];
    const stdin = (buf: Uint8Array): number => {
      outputAtRead.push(written.join(""));
      const next = chunks.shift();
      if (next === undefined) return 0;
      buf.set(enc.encode(next));
      return next.length;
    };
    const r = await runProgram(storePathOf(ir), "upper", [], { store, stdin, stdout: (b) => written.push(dec.decode(b)) });
    expect(r.exitCode).toBe(0);
    // Each read came after the previous line's output had reached the caller.
    expect(outputAtRead).toEqual(["", "AB\n", "AB\nCD\n"]);
    store.close();
  }, 120_000);
});
