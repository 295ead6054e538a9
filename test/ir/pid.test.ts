import { beforeAll, describe, expect, it } from "vitest";
import { isEkaError } from "../../src/errors.ts";
import { canonicalIR, initIR, isStorePath, pidOf, storePathOf, validateIR, type PackageIR } from "../../src/ir/index.ts";
import { isDigest, makeStorePath } from "../../src/store/index.ts";

function lib(over: Partial<PackageIR> = {}): PackageIR {
  return {
    irVersion: 1,
    name: "zlib",
    version: "1.3.1",
    platform: { build: "wasm32-wasip1", host: "wasm32-wasip1" },
    inputs: {},
    sources: { src: { kind: "path", path: "./src", hash: "blake3:" + "a".repeat(64) } },
    config: { shared: false },
    env: { CFLAGS: "-O2" },
    steps: [{ id: "cc", tool: "seed:llvm", args: ["clang", "-c", "a.c"] }],
    outputs: ["out"],
    ...over,
  };
}

beforeAll(initIR);

describe("pid", () => {
  it("does not change when keys are reordered or the JSON is re-spaced", () => {
    const a = lib();
    const reordered = JSON.parse(JSON.stringify({ outputs: a.outputs, steps: a.steps, env: a.env, config: a.config, sources: a.sources, inputs: a.inputs, platform: { host: "wasm32-wasip1", build: "wasm32-wasip1" }, version: a.version, name: a.name, irVersion: 1 }, null, 7)) as PackageIR;
    expect(pidOf(reordered)).toBe(pidOf(a));
    expect(canonicalIR(reordered)).toBe(canonicalIR(a));
  });

  it("changes with any flag, config, platform, source hash or input", () => {
    const base = pidOf(lib());
    const variants = [
      lib({ env: { CFLAGS: "-O3" } }),
      lib({ config: { shared: true } }),
      lib({ platform: { build: "wasm32-wasip1", host: "wasm32-wasip2" } }),
      lib({ sources: { src: { kind: "path", path: "./src", hash: "blake3:" + "b".repeat(64) } } }),
      lib({ steps: [{ id: "cc", tool: "seed:llvm", args: ["clang", "-c", "-DX", "a.c"] }] }),
      lib({ version: "1.3.2" }),
    ];
    const pids = new Set(variants.map(pidOf));
    expect(pids.size).toBe(variants.length);
    expect(pids.has(base)).toBe(false);
  });

  it("changes when an input node's pid changes (through its store path)", () => {
    const app = (dep: PackageIR) => lib({ name: "app", inputs: { zlib: dep } });
    const a = app(lib());
    const b = app(lib({ config: { shared: true } }));
    expect(pidOf(a)).not.toBe(pidOf(b));
    expect(canonicalIR(a)).toContain(storePathOf(lib()));
  });

  it("names a Nix-shaped store path from the first 160 bits of the pid", () => {
    const p = storePathOf(lib());
    expect(p).toMatch(/^\/nix\/store\/[0-9a-df-np-sv-z]{32}-zlib-1\.3\.1$/);
    expect(isStorePath(p)).toBe(true);
  });

  it("the pid is a store Digest and names the store path the store's makeStorePath makes", () => {
    const ir = lib();
    expect(isDigest(pidOf(ir))).toBe(true);
    expect(storePathOf(ir)).toBe(makeStorePath(pidOf(ir), "zlib-1.3.1"));
    for (const name of ["has space", "x".repeat(220)]) {
      try {
        storePathOf(lib({ name }));
        expect.unreachable();
      } catch (e) {
        expect(isEkaError(e, "E_IR"), name.slice(0, 20)).toBe(true);
        expect(String(e)).toMatch(/can't name a store path/);
      }
    }
  });

  it("rejects a malformed IR with E_IR naming the field", () => {
    const bad = lib({ sources: { src: { kind: "url", url: "ftp://x", hash: "md5:00" } } });
    try {
      validateIR(bad);
      expect.unreachable();
    } catch (e) {
      expect(isEkaError(e, "E_IR")).toBe(true);
      expect(String(e)).toMatch(/source 'src'/);
    }
    expect(() => validateIR(lib({ steps: [{ id: "a", tool: "builtin:copy", args: ["x"], deps: ["nope"] }] }))).toThrow(/unknown step 'nope'/);
    expect(() => validateIR(lib({ steps: [{ id: "a", tool: "seed:llvm", args: ["clang"] }] }))).toThrow(/with a 'seed' input/);
    expect(() => validateIR(lib({ inputs: { seed: "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-seed" }, steps: [{ id: "a", tool: "builtin:rm", args: ["rm"] }] }))).toThrow(/builtin:copy/);
  });

  it("rejects a cycle of inputs with E_IR_CYCLE instead of recursing forever", () => {
    const a = lib({ name: "a" });
    const b = lib({ name: "b", inputs: { a } });
    a.inputs.b = b;
    expect(() => pidOf(a)).toThrow(/depends on itself/);
  });
});
