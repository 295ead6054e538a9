// A real atom (examples/hello, built by `eka build`) as OCI images: the same digest from two
// fresh stores, the unpacked image's program runs, and the wasm artifact pulled back from a
// registry runs.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { layoutBlob, layoutManifest, ociGet, pullImage } from "../../src/dist/oci.node.ts";
import { openStore, type Store } from "../../src/store/index.node.ts";
import { hasTools, run, skipReason, startRegistry, type RunningRegistry } from "./oci-helpers.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "eka-oci-atom-"));
const stores: Store[] = [];
let storePath = "";
let reg: RunningRegistry | undefined;
const eka = (args: string[], store: string) => run(process.execPath, ["bin/eka.js", ...args], { env: { ...process.env, EKA_STORE: store } });

beforeAll(async () => {
  if (!hasTools) return;
  for (const name of ["one", "two"]) {
    const dir = path.join(tmp, name);
    const out = JSON.parse(await eka(["build", "./examples/hello", "--frozen", "--json"], dir)) as { results: { storePath: string }[] };
    storePath = out.results[0]!.storePath;
    stores.push(await openStore(dir));
  }
  reg = await startRegistry(path.join(tmp, "registry"));
});
afterAll(async () => {
  for (const s of stores) s.close();
  await reg?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!hasTools)(`eka-built atoms as OCI images${skipReason}`, () => {
  it("gives the same image digest from two fresh stores, and the unpacked program runs", async () => {
    const a = await ociGet({ store: stores[0]!, storePath, out: path.join(tmp, "a"), tag: "1.0.0" });
    const b = await ociGet({ store: stores[1]!, storePath, out: path.join(tmp, "b"), tag: "1.0.0" });
    expect(b.digest).toBe(a.digest);
    expect(a.program).toBe(`${storePath}/bin/hello.wasm`);
    const bundle = path.join(tmp, "bundle");
    await run("umoci", ["unpack", "--rootless", "--image", `${path.join(tmp, "a")}:1.0.0`, bundle]);
    const out = await eka(["wasi", "run", path.join(bundle, "rootfs", a.program), "x"], path.join(tmp, "one"));
    expect(out).toBe("Hello from eka! (hello 1.0.0)\narg 1: x\n");
  });

  it("pushes the wasm artifact; the module pulled back runs", async () => {
    const w = await ociGet({ store: stores[0]!, storePath, flavour: "wasm", push: `oci://${reg!.host}/eka/hello:1.0.0` });
    const again = await ociGet({ store: stores[1]!, storePath, flavour: "wasm", out: path.join(tmp, "w2") });
    expect(again.digest).toBe(w.digest);
    const dir = path.join(tmp, "pulled");
    expect((await pullImage(`oci://${reg!.host}/eka/hello:1.0.0`, dir)).digest).toBe(w.digest);
    const manifest = JSON.parse(Buffer.from(layoutBlob(dir, layoutManifest(dir, "1.0.0").manifest)).toString()) as { layers: { mediaType: string; digest: string; size: number }[] };
    expect(manifest.layers).toHaveLength(1);
    const wasm = path.join(tmp, "hello.wasm");
    fs.writeFileSync(wasm, layoutBlob(dir, manifest.layers[0]!));
    expect(await eka(["wasi", "run", wasm], path.join(tmp, "one"))).toBe("Hello from eka! (hello 1.0.0)\n");
  });
});
