// A step's action key names input store paths by content, so a dependency rebuilt with the same
// bytes under a new path gives the same key (early cutoff), wherever its new hash sorts.
import { beforeAll, describe, expect, it } from "vitest";
import { actionKey, type ActionKeyParts } from "../../src/builder/action-cache.ts";
import { initBlake3 } from "../../src/util/blake3.ts";

beforeAll(() => initBlake3());

const seed = "/nix/store/m0000000000000000000000000000000-seed-1";
const out = "/nix/store/o0000000000000000000000000000000-app-1";
const parts = (lib: string): ActionKeyParts => ({
  tool: "clang",
  args: ["clang", `-I${lib}/include`, "-c", "/build/main.c"],
  env: { out },
  cwd: "/build",
  inputs: [[lib, "store"]],
  outputs: ["/build/main.o"],
  storePaths: [seed, lib].sort(),
});
const cids: Record<string, string> = { [seed]: "c-seed" };

describe("actionKey", () => {
  it("is the same for an input of the same content whose new path sorts before or after another input's", () => {
    const before = "/nix/store/a1111111111111111111111111111111-lib-1";
    const after = "/nix/store/z2222222222222222222222222222222-lib-1";
    const cidOf = (p: string) => cids[p] ?? (p.endsWith("-lib-1") ? "c-lib" : undefined);
    expect(actionKey(parts(before), out, cidOf)).toBe(actionKey(parts(after), out, cidOf));
  });

  it("differs when the input's content differs", () => {
    const lib = "/nix/store/a1111111111111111111111111111111-lib-1";
    expect(actionKey(parts(lib), out, (p) => cids[p] ?? "c-lib")).not.toBe(actionKey(parts(lib), out, (p) => cids[p] ?? "c-lib-2"));
  });
});
