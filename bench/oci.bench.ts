// OCI figures (MB/s): an image of a 20-path closure (~64 MB) written as a layout, pushed to and
// pulled from a local registry (Debian's docker-registry on 127.0.0.1), beside `skopeo copy` of
// the same layout; and the registry as a binary cache (`eka store push` / `substitute`).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ociGet, pullImage, pushLayout, pushToOciCache, substituteFromOci } from "../src/dist/oci.node.ts";
import { digestOf, makeStorePath, MemoryTree, openStore } from "../src/store/index.node.ts";
import { hasTools, skopeo, startRegistry } from "../test/dist/oci-helpers.ts";

const PATHS = 20;
const FILE_BYTES = 800_000;
const FILES_PER_PATH = 4;

export async function run(): Promise<void> {
  if (!hasTools) {
    console.log("  skipped: apt-get install skopeo umoci docker-registry");
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "eka-oci-bench-"));
  const reg = await startRegistry(path.join(tmp, "registry"));
  try {
    const store = await openStore(path.join(tmp, "store"));
    let prev: string | undefined;
    let bytes = 0;
    for (let i = 0; i < PATHS; i++) {
      const t = new MemoryTree();
      t.directory("");
      t.directory("lib");
      for (let f = 0; f < FILES_PER_PATH; f++) {
        const data = new Uint8Array(FILE_BYTES);
        let x = (i * 1000 + f + 1) >>> 0;
        for (let j = 0; j < data.length; j++) {
          x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
          data[j] = x >>> 24;
        }
        bytes += data.length;
        await t.file(`lib/part${f}.bin`, false, data.length, (async function* () {
          yield data;
        })());
      }
      if (i === PATHS - 1) {
        t.directory("bin");
        await t.file("bin/app.wasm", true, 8, (async function* () {
          yield new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
        })());
      }
      prev = store.ingest(t, "", { storePath: makeStorePath(digestOf(new TextEncoder().encode(`oci-bench-${i}`)), `bench-${i}`), references: prev ? [prev] : [] }).storePath;
    }
    const app = prev as string;
    const mb = bytes / 1e6;
    console.log(`  closure: ${PATHS} store paths, ${mb.toFixed(1)} MB`);
    const rate = (ms: number) => `${(mb / (ms / 1000)).toFixed(0).padStart(5)} MB/s (${ms.toFixed(0)} ms)`;
    const time = async (label: string, f: () => Promise<unknown>) => {
      const t = performance.now();
      await f();
      console.log(`  ${label.padEnd(46)}${rate(performance.now() - t)}`);
    };
    const layout = path.join(tmp, "layout");
    await time("eka: image layout (ociGet -o)", () => ociGet({ store, storePath: app, out: layout, tag: "1" }));
    await time("eka: push layout to the registry", () => pushLayout(layout, "1", `oci://${reg.host}/bench/eka:1`));
    await time("skopeo copy oci: → registry (same layout)", () => skopeo(["copy", "--preserve-digests", "--dest-tls-verify=false", `oci:${layout}:1`, `docker://${reg.host}/bench/skopeo:1`]));
    await time("eka: pull from the registry to a layout", () => pullImage(`oci://${reg.host}/bench/eka:1`, path.join(tmp, "pulled")));
    await time("skopeo copy registry → oci: (same image)", () => skopeo(["copy", "--src-tls-verify=false", "--dest-oci-accept-uncompressed-layers", `docker://${reg.host}/bench/skopeo:1`, `oci:${path.join(tmp, "skopeo-pulled")}:1`]));
    await time("eka store push oci:// (binary cache)", () => pushToOciCache(store, `oci://${reg.host}/bench/cache`, [app]));
    const fresh = await openStore(path.join(tmp, "fresh"));
    await time("eka store substitute --from oci://", () => substituteFromOci(fresh, `oci://${reg.host}/bench/cache`, [app]));
    fresh.close();
    store.close();
  } finally {
    await reg.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
