// OCI figures (MB/s of NAR): an image of every package of the package set (pkgs/) written as a
// layout, pushed to and pulled from a local registry (Debian's docker-registry on 127.0.0.1),
// beside `skopeo copy` of the same layouts; and the registry as a binary cache (`eka store push`
// / `substitute`) for all their closures. Sources from the mirror (scripts/fill-mirror.sh).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ociGet, pullImage, pushLayout, pushToOciCache, substituteFromOci } from "../src/dist/oci.node.ts";
import { openStore } from "../src/store/index.node.ts";
import { hasTools, skopeo, startRegistry } from "../test/dist/oci-helpers.ts";

const ROOT = path.resolve(import.meta.dirname, "..");

export async function run(): Promise<void> {
  if (!hasTools) {
    console.log("  skipped: apt-get install skopeo umoci docker-registry");
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "eka-oci-bench-"));
  const reg = await startRegistry(path.join(tmp, "registry"));
  try {
    // The package set (pkgs/), built into the bench's own store (or EKA_BENCH_STORE, where it may
    // already be): every package's image goes through the registry, and every closure through
    // the registry as a binary cache.
    const store = await openStore(process.env.EKA_BENCH_STORE ?? path.join(tmp, "store"));
    const { atomDirsFromArgs, buildPreparedEach, prepareAtom } = await import("../src/cli/atoms.ts");
    const atoms = await Promise.all((await atomDirsFromArgs([path.join(ROOT, "pkgs")])).map((d) => prepareAtom(d, {}, { frozen: true })));
    const tb = performance.now();
    const outcomes = (await buildPreparedEach(atoms, { store, jobs: 2 })).flat();
    const { programsOf } = await import("../src/atom/to-ir.ts");
    const roots = outcomes.flatMap((o, i) => (o.ok ? [{ name: o.result.storePath.slice(44).replace(/[^A-Za-z0-9_.-]/g, "_"), storePath: o.result.storePath, program: programsOf((atoms[i] as (typeof atoms)[number]).graph.manifest)[0] }] : []));
    if (roots.length !== outcomes.length) throw new Error("the package set did not build");
    console.log(`  package set: ${roots.length} packages built or found in ${((performance.now() - tb) / 1000).toFixed(1)} s`);
    /** MB of NAR in the closures of `paths`. */
    const closureMb = (paths: string[]) => {
      const seen = new Set<string>();
      const walk = (p: string) => {
        if (seen.has(p)) return;
        seen.add(p);
        for (const r of store.queryPathInfo(p)?.references ?? []) walk(r);
      };
      for (const p of paths) walk(p);
      return { paths: seen.size, mb: [...seen].reduce((n, p) => n + (store.queryPathInfo(p)?.narSize ?? 0), 0) / 1e6 };
    };
    // Images of the packages with a program (an image's entrypoint); the binary cache takes all.
    const imaged = roots.filter((r) => r.program !== undefined);
    const all = closureMb(roots.map((r) => r.storePath));
    const img = closureMb(imaged.map((r) => r.storePath));
    console.log(`  closures: ${all.paths} store paths, ${all.mb.toFixed(1)} MB of NAR; the ${imaged.length} packages with a program: ${img.mb.toFixed(1)} MB`);
    const time = async (label: string, f: () => Promise<unknown>, mb = img.mb) => {
      const t = performance.now();
      await f();
      const ms = performance.now() - t;
      console.log(`  ${label.padEnd(46)}${(mb / (ms / 1000)).toFixed(1).padStart(6)} MB/s (${ms.toFixed(0)} ms)`);
    };
    const each = async (f: (r: (typeof roots)[number]) => Promise<unknown>) => {
      for (const r of imaged) await f(r);
    };
    const layout = path.join(tmp, "layout");
    await time("eka: image layouts (ociGet -o), one per package", () => each((r) => ociGet({ store, storePath: r.storePath, out: layout, tag: r.name, program: `bin/${r.program}.wasm` })));
    await time("eka: push the layouts to the registry", () => each((r) => pushLayout(layout, r.name, `oci://${reg.host}/bench/eka:${r.name}`)));
    await time("skopeo copy oci: → registry (same layouts)", () => each((r) => skopeo(["copy", "--preserve-digests", "--dest-tls-verify=false", `oci:${layout}:${r.name}`, `docker://${reg.host}/bench/skopeo:${r.name}`])));
    await time("eka: pull from the registry to a layout", () => each((r) => pullImage(`oci://${reg.host}/bench/eka:${r.name}`, path.join(tmp, "pulled", r.name))));
    await time("skopeo copy registry → oci: (same images)", () => each((r) => skopeo(["copy", "--src-tls-verify=false", "--dest-oci-accept-uncompressed-layers", `docker://${reg.host}/bench/skopeo:${r.name}`, `oci:${path.join(tmp, "skopeo-pulled")}:${r.name}`])));
    const paths = roots.map((r) => r.storePath);
    await time("eka store push oci:// (binary cache)", () => pushToOciCache(store, `oci://${reg.host}/bench/cache`, paths), all.mb);
    const fresh = await openStore(path.join(tmp, "fresh"));
    await time("eka store substitute --from oci://", () => substituteFromOci(fresh, `oci://${reg.host}/bench/cache`, paths), all.mb);
    fresh.close();
    store.close();
  } finally {
    await reg.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
