// OCI image layouts of a package, checked with the real skopeo and umoci: both flavours, the
// same digest every time, the rootfs holding the closure, and layouts that are not whole.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { layoutBlob, layoutManifest, ociGet, pushLayout } from "../../src/dist/oci.node.ts";
import { parseStorePath } from "../../src/store/index.node.ts";
import { fixtureStore, hasTools, run, skipReason, skopeo, WASM, type Fixture } from "./oci-helpers.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "eka-oci-layout-"));
let fx: Fixture;
beforeAll(async () => {
  fx = await fixtureStore(path.join(tmp, "store"));
});
afterAll(() => {
  fx?.store.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!hasTools)(`OCI image layouts${skipReason}`, () => {
  it("gives the same image digest every time, for both flavours", async () => {
    const a = await ociGet({ store: fx.store, storePath: fx.app, out: path.join(tmp, "a"), tag: "1.0" });
    const b = await ociGet({ store: fx.store, storePath: fx.app, out: path.join(tmp, "b"), tag: "1.0" });
    expect(a.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(b.digest).toBe(a.digest);
    expect(a.paths).toEqual([fx.lib, fx.app]);
    expect(a.program).toBe(`${fx.app}/bin/hello.wasm`);
    const wa = await ociGet({ store: fx.store, storePath: fx.app, out: path.join(tmp, "a"), tag: "wasm", flavour: "wasm" });
    const wb = await ociGet({ store: fx.store, storePath: fx.app, out: path.join(tmp, "b"), tag: "wasm", flavour: "wasm" });
    expect(wb.digest).toBe(wa.digest);
    expect(wa.digest).not.toBe(a.digest);
    // The two layouts are byte-identical trees.
    const list = (d: string) => fs.readdirSync(d, { recursive: true }).map(String).sort();
    expect(list(path.join(tmp, "b"))).toEqual(list(path.join(tmp, "a")));
    expect(fs.readFileSync(path.join(tmp, "b", "index.json"))).toEqual(fs.readFileSync(path.join(tmp, "a", "index.json")));
  });

  it("skopeo inspects the image: entrypoint, one layer per store path", async () => {
    const dir = path.join(tmp, "inspect");
    const r = await ociGet({ store: fx.store, storePath: fx.app, out: dir, tag: "1.0" });
    const info = JSON.parse(await skopeo(["inspect", `oci:${dir}:1.0`])) as { Digest: string; Layers: string[]; Os: string; Architecture: string };
    expect(info.Digest).toBe(r.digest);
    expect(info.Layers).toHaveLength(2);
    expect(info.Os).toBe("linux");
    expect(info.Architecture).toBe("wasm");
    const config = JSON.parse(await skopeo(["inspect", "--config", `oci:${dir}:1.0`])) as { config: { Entrypoint: string[] } };
    expect(config.config.Entrypoint).toEqual([`${fx.app}/bin/hello.wasm`]);
  });

  it("the wasm artifact has the CNCF media types and the module as its one layer", async () => {
    const dir = path.join(tmp, "wasm");
    const r = await ociGet({ store: fx.store, storePath: fx.app, out: dir, tag: "wasm", flavour: "wasm" });
    const raw = JSON.parse(await skopeo(["inspect", "--raw", `oci:${dir}:wasm`])) as { config: { mediaType: string; digest: string }; layers: { mediaType: string; digest: string; size: number }[] };
    expect(raw.config.mediaType).toBe("application/vnd.wasm.config.v0+json");
    expect(raw.layers).toHaveLength(1);
    expect(raw.layers[0]?.mediaType).toBe("application/wasm");
    expect(raw.layers[0]?.size).toBe(WASM.length);
    expect(fs.readFileSync(path.join(dir, "blobs", "sha256", raw.layers[0]!.digest.slice(7)))).toEqual(Buffer.from(WASM));
    const config = JSON.parse(fs.readFileSync(path.join(dir, "blobs", "sha256", raw.config.digest.slice(7)), "utf8")) as Record<string, unknown>;
    expect(config).toMatchObject({ architecture: "wasm", os: "wasip1", layerDigests: [raw.layers[0]!.digest] });
    // skopeo copies it between layouts unchanged.
    await skopeo(["copy", `oci:${dir}:wasm`, `oci:${path.join(tmp, "wasm-copy")}:w`]);
    expect(layoutManifest(path.join(tmp, "wasm-copy"), "w").manifest.digest).toBe(r.digest);
  });

  it("umoci unpacks the image: the rootfs holds the closure at /nix/store", async () => {
    const dir = path.join(tmp, "umoci");
    const r = await ociGet({ store: fx.store, storePath: fx.app, out: dir, tag: "1.0" });
    // skopeo copies the layout to another layout with the same digest.
    await skopeo(["copy", "--dest-oci-accept-uncompressed-layers", `oci:${dir}:1.0`, `oci:${path.join(tmp, "umoci-copy")}:1.0`]);
    expect(layoutManifest(path.join(tmp, "umoci-copy"), "1.0").manifest.digest).toBe(r.digest);
    const bundle = path.join(tmp, "bundle");
    await run("umoci", ["unpack", "--rootless", "--image", `${path.join(tmp, "umoci-copy")}:1.0`, bundle]);
    const rootfs = path.join(bundle, "rootfs");
    const app = path.join(rootfs, fx.app);
    const lib = path.join(rootfs, fx.lib);
    expect(fs.readFileSync(path.join(app, "bin", "hello.wasm"))).toEqual(Buffer.from(WASM));
    expect(fs.readFileSync(path.join(app, "lib-path"), "utf8")).toBe(fx.lib);
    expect(fs.readFileSync(path.join(lib, "share", "readme.txt"), "utf8")).toBe("hello\n");
    expect(fs.readFileSync(path.join(lib, "share", `${"a-very-long-file-name-".repeat(6)}end.txt`), "utf8")).toBe("long");
    expect(fs.readFileSync(path.join(lib, "share", "ünïcødé.txt"), "utf8")).toBe("ü\n");
    expect(fs.readlinkSync(path.join(lib, "share", "link"))).toBe("readme.txt");
    expect(fs.statSync(path.join(lib, "bin", "tool")).mode & 0o111).not.toBe(0);
    expect(fs.readdirSync(path.join(rootfs, "nix", "store")).sort()).toEqual([parseStorePath(fx.app).basename, parseStorePath(fx.lib).basename].sort());
    const config = JSON.parse(fs.readFileSync(path.join(bundle, "config.json"), "utf8")) as { process: { args: string[] } };
    expect(config.process.args).toEqual([`${fx.app}/bin/hello.wasm`]);
  });

  it("writes tar layers GNU tar lists as sorted, owned by 0/0, at time 0, with the store's modes", async () => {
    const dir = path.join(tmp, "tar");
    await ociGet({ store: fx.store, storePath: fx.app, out: dir, tag: "1.0" });
    const manifest = JSON.parse(Buffer.from(layoutBlob(dir, layoutManifest(dir, "1.0").manifest)).toString()) as { layers: { digest: string; mediaType: string; annotations: Record<string, string> }[] };
    expect(manifest.layers.map((l) => l.mediaType)).toEqual(["application/vnd.oci.image.layer.v1.tar", "application/vnd.oci.image.layer.v1.tar"]);
    expect(manifest.layers.map((l) => l.annotations["dev.eka.store-path"])).toEqual([fx.lib, fx.app]);
    const listing = await run("tar", ["--numeric-owner", "--full-time", "-tvf", path.join(dir, "blobs", "sha256", manifest.layers[0]!.digest.slice(7))], { env: { ...process.env, TZ: "UTC", LC_ALL: "C.UTF-8" } });
    const lines = listing.trim().split("\n");
    const base = parseStorePath(fx.lib).basename;
    const names = lines.map((l) => l.split(/\s+/).slice(5).join(" ").replace(/ -> .*$/, ""));
    expect(names).toEqual([
      "nix/",
      "nix/store/",
      `nix/store/${base}/`,
      `nix/store/${base}/bin/`,
      `nix/store/${base}/bin/tool`,
      `nix/store/${base}/share/`,
      `nix/store/${base}/share/${"a-very-long-file-name-".repeat(6)}end.txt`,
      `nix/store/${base}/share/link`,
      `nix/store/${base}/share/readme.txt`,
      `nix/store/${base}/share/ünïcødé.txt`,
    ]);
    for (const l of lines) expect(l).toMatch(/^[-dl][-rwx]{9} 0\/0 +\d+ 1970-01-01 00:00:00 /);
    expect(lines.find((l) => l.includes("bin/tool"))).toMatch(/^-r-xr-xr-x /);
    expect(lines.find((l) => l.endsWith("share/readme.txt"))).toMatch(/^-r--r--r-- /);
    expect(lines.find((l) => l.includes("share/link"))).toMatch(/^lrwxrwxrwx .* -> readme\.txt$/);
    expect(lines[0]).toMatch(/^dr-xr-xr-x /);
  });

  it("refuses a truncated layout and a blob whose bytes do not match its digest", async () => {
    const dir = path.join(tmp, "bad");
    const r = await ociGet({ store: fx.store, storePath: fx.app, out: dir, tag: "1.0" });
    const entry = layoutManifest(dir, "1.0");
    const manifest = JSON.parse(Buffer.from(layoutBlob(dir, entry.manifest)).toString()) as { layers: { digest: string; size: number; mediaType: string }[] };
    const layer = manifest.layers[1]!;
    const file = path.join(dir, "blobs", "sha256", layer.digest.slice(7));
    const whole = fs.readFileSync(file);
    // Truncated: the last layer cut short.
    fs.writeFileSync(file, whole.subarray(0, whole.length - 512));
    await expect(pushLayout(dir, "1.0", "oci://127.0.0.1:1/never")).rejects.toMatchObject({ code: "E_OCI_LAYOUT", message: expect.stringMatching(/truncated/) });
    expect(() => layoutBlob(dir, layer)).toThrow(/is \d+ bytes but its descriptor says \d+/);
    // Same size, other bytes: refused by digest.
    const changed = Buffer.from(whole);
    changed[changed.length - 1030] = (changed[changed.length - 1030] as number) ^ 1;
    fs.writeFileSync(file, changed);
    expect(() => layoutBlob(dir, layer)).toThrow(expect.objectContaining({ code: "E_OCI_DIGEST" }));
    // index.json gone.
    fs.rmSync(path.join(dir, "index.json"));
    expect(() => layoutManifest(dir, "1.0")).toThrow(expect.objectContaining({ code: "E_OCI_LAYOUT", message: expect.stringMatching(/index\.json is missing/) }));
    void r;
  });
});
