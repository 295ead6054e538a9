import { beforeAll, expect, it } from "vitest";
import { plan } from "../../src/builder/plan.ts";
import { initIR, storePathOf, type PackageIR } from "../../src/ir/index.ts";

const pkg = (name: string, inputs: Record<string, PackageIR> = {}): PackageIR => ({
  irVersion: 1,
  name,
  version: "1",
  platform: { build: "wasm32-wasip1", host: "wasm32-wasip1" },
  inputs,
  sources: {},
  config: null,
  env: {},
  steps: [{ id: "c", tool: "builtin:copy", args: ["copy", "/build", "$out"] }],
  outputs: ["out"],
});

beforeAll(initIR);

it("lists what the store lacks, inputs first, each node once, looking each up once", () => {
  const c = pkg("c");
  const b = pkg("b", { c });
  const d = pkg("d", { c });
  const a = pkg("a", { b, d });
  const asked: string[] = [];
  const p = plan([a], (sp) => (asked.push(sp), sp === storePathOf(c)));
  expect(p.nodes.map((n) => n.ir.name)).toEqual(["c", "b", "d", "a"]);
  expect(p.toBuild.map((n) => n.ir.name)).toEqual(["b", "d", "a"]);
  expect(asked.sort()).toEqual([a, b, c, d].map(storePathOf).sort());
  expect(plan([a], () => true).toBuild).toEqual([]);
  expect(plan([a], () => true, true).toBuild.map((n) => n.ir.name)).toEqual(["a"]);
  // A root in the store needs none of its inputs, even missing ones.
  expect(plan([a], (sp) => sp === storePathOf(a)).toBuild).toEqual([]);
});
