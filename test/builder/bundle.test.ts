// build/, ir/ and cbuild are core: they bundle for a browser with no `node:` module.
import { build } from "esbuild";
import { expect, it } from "vitest";

it("bundles src/builder/index.ts for the browser", async () => {
  const r = await build({
    entryPoints: [new URL("../../src/builder/index.ts", import.meta.url).pathname],
    bundle: true,
    platform: "browser",
    format: "esm",
    write: false,
    logLevel: "silent",
  });
  expect(r.errors).toEqual([]);
  const text = r.outputFiles[0]!.text;
  expect(text).toContain("buildGraph");
  expect(text).not.toMatch(/from "node:|require\("node:/);
});
