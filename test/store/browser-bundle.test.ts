// The core store must bundle for a browser (no node: imports) and work from that bundle.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "eka-store-bundle-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("store core in a browser bundle", () => {
  it("bundles for platform=browser and round-trips a tree through memory:", async () => {
    const outfile = path.join(tmp, "store.mjs");
    await build({ entryPoints: ["src/store/index.ts"], bundle: true, platform: "browser", format: "esm", outfile, logLevel: "silent" });
    expect(fs.readFileSync(outfile, "utf8")).not.toMatch(/from\s*"node:/);
    const m = (await import(pathToFileURL(outfile).href)) as typeof import("../../src/store/index.ts");
    const store = await m.openStore("memory:");
    const t = new m.MemoryTree();
    t.directory("");
    await t.file("hello", true, 6, (async function* () {
      yield new TextEncoder().encode("hello\n");
    })());
    const cid = store.addTree(t);
    const info = store.register({ storePath: m.makeStorePath(cid, "hello"), cid });
    const again = await m.openStore("memory:");
    const imported = await m.importPaths(again, [...m.exportPaths(store, [info.storePath])]);
    expect(imported).toEqual([info.storePath]);
    expect(again.queryPathInfo(info.storePath)?.narHash).toBe(info.narHash);
    const keys = m.generateKeyPair("k-1");
    expect(m.validSignatures({ ...info, signatures: [m.signPathInfo(info, keys.secretKey)] }, [keys.publicKey])).toEqual(["k-1"]);
  });
});
