// atom → IR: the configuration reaching the build is in the pid (variants change it, the same
// choice keeps it), dependencies are inputs, and bad choices are errors naming the choices.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadAtomGraph, type AtomNode } from "../../src/atom/resolve.node.ts";
import { atomToIR, variantsOf, type Choices } from "../../src/atom/to-ir.ts";
import { initIR, pidOf, storePathOf } from "../../src/ir/index.ts";
import { libAtom, tempDir, writeFiles } from "./helpers.ts";

const SEED = "/nix/store/00000000000000000000000000000000-llvm-seed-1";
let app: AtomNode;

const APP = `[atom]
id = "app"
version = "1.0.0"

[srcs.main]
path = "src"

[deps.lib]
path = "../lib"

[pins.tools]
path = "tools"
entry = "tool.txt"
args = { target = "\${platform.host}" }

[platform]
host = ["wasm32-wasip1", "wasm32-wasip2"]

[provide]
cc = ["clang", "clang-lto"]
libc = ["wasi-libc"]

[build]
kind = "c"
src = "main"
defines = { HOST = "\\"\${platform.host}\\"", LIBDIR = "\\"\${from.lib}\\"" }

[build.bin.app]
sources = ["main.c"]
link = ["from.lib"]
`;

const irs = (choices: Choices) => variantsOf(app.manifest, choices).map((v) => atomToIR(app, v, { seed: SEED }));

beforeAll(async () => {
  await initIR();
  const root = tempDir("to-ir", { repo: true });
  writeFiles(join(root, "lib"), libAtom("lib", "0.1.0"));
  writeFiles(join(root, "app"), { "atom.toml": APP, "src/main.c": "int main(void) { return 0; }\n", "tools/tool.txt": "tool\n" });
  app = await loadAtomGraph(join(root, "app"), { cacheDir: join(root, "cache") });
});

describe("variants", () => {
  it("builds every host by default, one node each, with different pids", () => {
    const all = irs({});
    expect(all.map((ir) => ir.platform.host)).toEqual(["wasm32-wasip1", "wasm32-wasip2"]);
    expect(pidOf(all[0]!)).not.toBe(pidOf(all[1]!));
  });

  it("the same choice gives the same pid; the default equals naming the first choice", () => {
    const a = irs({ host: "wasm32-wasip1" })[0]!;
    const b = irs({ host: "wasm32-wasip1" })[0]!;
    const c = irs({ host: "wasm32-wasip1", cc: "clang", libc: "wasi-libc" })[0]!;
    expect(a).not.toBe(b);
    expect(pidOf(a)).toBe(pidOf(b));
    expect(pidOf(a)).toBe(pidOf(c));
  });

  it("another provide choice changes the pid and is in the IR's config", () => {
    const a = irs({ host: "wasm32-wasip1" })[0]!;
    const lto = irs({ host: "wasm32-wasip1", cc: "clang-lto" })[0]!;
    expect(pidOf(lto)).not.toBe(pidOf(a));
    expect(lto.config).toMatchObject({ provide: { cc: "clang-lto", libc: "wasi-libc" } });
  });

  it("fills ${platform.host} in pin args and [build] values per host", () => {
    const [p1, p2] = irs({});
    expect(p1!.config).toMatchObject({ pins: { tools: { entry: "tool.txt", args: { target: "wasm32-wasip1" } } } });
    expect(p2!.config).toMatchObject({ pins: { tools: { args: { target: "wasm32-wasip2" } } } });
    expect(p2!.steps.find((s) => s.id.startsWith("cc:"))?.args).toContain('-DHOST="wasm32-wasip2"');
  });

  it("rejects a choice that is not listed, naming the choices; and an unknown variant, with did-you-mean", () => {
    expect(() => irs({ cc: "gcc" })).toThrow(/--cc=gcc: 'gcc' is not a choice for 'cc' in app; the choices are clang, clang-lto/);
    expect(() => irs({ host: "x86_64-linux" })).toThrow(/app builds for wasm32-wasip1, wasm32-wasip2/);
    expect(() => irs({ lib: "musl" })).toThrow(/no variant 'lib' \(did you mean --libc\?\)/);
  });
});

describe("dependencies and sources", () => {
  it("makes a dependency's node an input, links its libraries, and passes its store path to ${from.NAME}", () => {
    const ir = irs({ host: "wasm32-wasip1" })[0]!;
    const lib = ir.inputs["from.lib"];
    expect(typeof lib).toBe("object");
    const libPath = storePathOf(lib as Exclude<typeof lib, string | undefined>);
    expect(ir.inputs.seed).toBe(SEED);
    const ld = ir.steps.find((s) => s.id === "ld:app")!;
    expect(ld.args).toContain(`-L${libPath}/lib`);
    expect(ld.args).toContain("-llib");
    expect(ir.steps.find((s) => s.id.startsWith("cc:"))?.args).toContain(`-DLIBDIR="${libPath}"`);
  });

  it("names path sources by atom id, not by where the checkout is, so the pid is location independent", () => {
    const ir = irs({ host: "wasm32-wasip1" })[0]!;
    expect(ir.sources.main).toMatchObject({ kind: "path", path: "app@1.0.0/src" });
    expect(ir.sources["pins.tools"]).toMatchObject({ kind: "path", path: "app@1.0.0/tools" });
  });

  it("reports atoms that are not buildable", async () => {
    const root = tempDir("to-ir-nb");
    writeFiles(root, { "atom.toml": `[atom]\nid = "cfg"\nversion = "1.0.0"\ntype = "config"\n` });
    const g = await loadAtomGraph(root, { cacheDir: join(root, "cache") });
    expect(() => atomToIR(g, { host: "wasm32-wasip1", provide: {} }, { seed: SEED })).toThrow(/type 'config'; only type "package" atoms are buildable/);
  });
});
