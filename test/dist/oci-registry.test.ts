// Pushing and pulling through a real registry (Debian's docker-registry on 127.0.0.1, started
// here), checked with skopeo; a registry as eka's binary cache through `eka store push` and
// `eka store substitute --from oci://…`; and what goes wrong: a registry altering a manifest, a
// registry answering 500 mid-upload (once: retried; always: a clear error, nothing half-stored).
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { layoutManifest, narDigest, ociGet, pullImage, pushLayout, pushToOciCache, Registry, substituteFromOci } from "../../src/dist/oci.node.ts";
import { generateKeyPair, openStore, parseStorePath } from "../../src/store/index.node.ts";
import { fixtureStore, freePort, hasTools, run, skipReason, skopeo, startRegistry, type Fixture, type RunningRegistry } from "./oci-helpers.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "eka-oci-registry-"));
let fx: Fixture;
let reg: RunningRegistry | undefined;
const keys = generateKeyPair("oci-test-1");
const keyFile = path.join(tmp, "secret.key");
fs.writeFileSync(keyFile, keys.secretKey, { mode: 0o600 });

beforeAll(async () => {
  fx = await fixtureStore(path.join(tmp, "store"));
  if (hasTools) reg = await startRegistry(path.join(tmp, "registry"));
});
afterAll(async () => {
  fx?.store.close();
  await reg?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const eka = (args: string[], store: string) => run(process.execPath, ["bin/eka.js", "store", "--store", store, ...args]);
const ekaFails = async (args: string[], store: string): Promise<string> => {
  try {
    await eka(args, store);
  } catch (e) {
    return String((e as Error).message);
  }
  throw new Error(`eka store ${args.join(" ")} succeeded`);
};

/** A proxy in front of the registry; `inject` may answer a request itself with a status, `alter` may change a response body. */
type Injected = number | { status: number; headers?: Record<string, string>; body?: string } | null;
async function proxy(target: number, inject: (req: http.IncomingMessage) => Injected, alter?: (req: http.IncomingMessage, body: Buffer<ArrayBuffer>) => Buffer<ArrayBuffer>): Promise<{ host: string; close(): Promise<void>; hits: string[] }> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    const injected = inject(req);
    if (injected !== null) {
      const r = typeof injected === "number" ? { status: injected, body: `injected ${injected}` } : injected;
      req.resume();
      req.on("end", () => res.writeHead(r.status, { "content-type": "text/plain", ...(r.headers ?? {}) }).end(r.body ?? ""));
      return;
    }
    const up = http.request({ host: "127.0.0.1", port: target, method: req.method, path: req.url, headers: req.headers }, (r) => {
      const chunks: Buffer[] = [];
      r.on("data", (c: Buffer) => chunks.push(c));
      r.on("end", () => {
        let body = Buffer.concat(chunks);
        if (alter) body = alter(req, body);
        const headers = { ...r.headers };
        if (headers["content-length"] !== undefined && req.method !== "HEAD") headers["content-length"] = String(body.length);
        res.writeHead(r.statusCode ?? 502, headers).end(body);
      });
    });
    up.on("error", () => res.writeHead(502).end());
    req.pipe(up);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { host: `127.0.0.1:${port}`, hits, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe.skipIf(!hasTools)(`OCI registry${skipReason}`, () => {
  it("pushes an image skopeo reads back, and pulls what skopeo pushed", async () => {
    const host = reg!.host;
    const r = await ociGet({ store: fx.store, storePath: fx.app, push: `oci://${host}/eka/hello:1.0`, out: path.join(tmp, "layout") });
    expect(r.pushed).toBe(`oci://${host}/eka/hello@${r.digest}`);
    const info = JSON.parse(await skopeo(["inspect", "--tls-verify=false", `docker://${host}/eka/hello:1.0`])) as { Digest: string; Layers: string[] };
    expect(info.Digest).toBe(r.digest);
    expect(info.Layers).toHaveLength(2);
    // Without a layout: the same digest.
    const again = await ociGet({ store: fx.store, storePath: fx.app, push: `oci://${host}/eka/hello2:1.0` });
    expect(again.digest).toBe(r.digest);
    // skopeo copies the layout to the registry (keeping the uncompressed layers); eka pulls it
    // into a new layout, digests unchanged.
    await skopeo(["copy", "--preserve-digests", "--dest-tls-verify=false", `oci:${path.join(tmp, "layout")}:1.0`, `docker://${host}/eka/copied:1.0`]);
    const pulled = await pullImage(`oci://${host}/eka/copied:1.0`, path.join(tmp, "pulled"));
    expect(pulled).toEqual({ digest: r.digest, tag: "1.0" });
    // The pulled layout is whole: skopeo copies it on to another layout.
    await skopeo(["copy", "--dest-oci-accept-uncompressed-layers", `oci:${path.join(tmp, "pulled")}:1.0`, `oci:${path.join(tmp, "pulled2")}:x`]);
    expect(layoutManifest(path.join(tmp, "pulled2"), "x").manifest.digest).toBe(r.digest);
    // The wasm artifact goes through the registry too.
    const w = await ociGet({ store: fx.store, storePath: fx.app, flavour: "wasm", out: path.join(tmp, "wasm") , tag: "w" });
    await pushLayout(path.join(tmp, "wasm"), "w", `oci://${host}/eka/hello-wasm:1.0`);
    const raw = JSON.parse(await skopeo(["inspect", "--raw", "--tls-verify=false", `docker://${host}/eka/hello-wasm:1.0`])) as { config: { mediaType: string }; layers: { mediaType: string }[] };
    expect(raw.config.mediaType).toBe("application/vnd.wasm.config.v0+json");
    expect(raw.layers.map((l) => l.mediaType)).toEqual(["application/wasm"]);
    expect((await pullImage(`oci://${host}/eka/hello-wasm@${w.digest}`, path.join(tmp, "wasm-pulled"), "w")).digest).toBe(w.digest);
  });

  it("is a binary cache: eka store push, then substitute into a fresh store with the signature checked", async () => {
    const host = reg!.host;
    const storeDir = path.join(tmp, "store");
    fx.store.close();
    const pushed = JSON.parse(await eka(["push", `oci://${host}/eka/cache`, fx.app, "--key-file", keyFile, "--json"], storeDir)) as string[];
    expect(pushed).toEqual([fx.lib, fx.app]);
    fx.store = await openStore(storeDir);
    // The manifest carries the path info; the NAR blob's digest is the NAR hash.
    const m = await new Registry(`oci://${host}/eka/cache`).getManifest(parseStorePath(fx.app).hashPart);
    const manifest = JSON.parse(Buffer.from(m!.bytes).toString()) as { annotations: Record<string, string>; layers: { digest: string }[] };
    const info = fx.store.queryPathInfo(fx.app)!;
    expect(manifest.annotations["dev.eka.store-path"]).toBe(fx.app);
    expect(manifest.annotations["dev.eka.nar-hash"]).toBe(info.narHash);
    expect(manifest.annotations["dev.eka.signatures"]).toMatch(/^oci-test-1:/);
    expect(manifest.layers[0]!.digest).toBe(narDigest(info.narHash));

    const fresh = path.join(tmp, "fresh");
    const other = generateKeyPair("someone-else");
    const refused = await ekaFails(["substitute", "--from", `oci://${host}/eka/cache`, "--trusted-key", other.publicKey, fx.app], fresh);
    expect(refused).toMatch(/E_BAD_SIGNATURE|no valid signature by a trusted key/);
    const got = JSON.parse(await eka(["substitute", "--from", `oci://${host}/eka/cache`, "--trusted-key", keys.publicKey, "--json", fx.app], fresh)) as string[];
    expect(got).toEqual([fx.lib, fx.app]);
    const s = await openStore(fresh);
    try {
      expect(s.queryPathInfo(fx.app)?.narHash).toBe(info.narHash);
      expect(new TextDecoder().decode(s.readFile(fx.app, "lib-path"))).toBe(fx.lib);
    } finally {
      s.close();
    }
    await eka(["verify"], fresh);
    // A path the registry does not have.
    const missing = await ekaFails(["substitute", "--from", `oci://${host}/eka/empty`, fx.app], path.join(tmp, "fresh2"));
    expect(missing).toMatch(/is not in the registry cache .*eka\/empty/);
  });

  it("refuses a manifest whose bytes do not match its digest", async () => {
    const host = reg!.host;
    const r = await ociGet({ store: fx.store, storePath: fx.app, push: `oci://${host}/eka/tampered:1.0` });
    const p = await proxy(reg!.port, () => null, (req, body) => (req.method === "GET" && /\/manifests\//.test(req.url ?? "") ? Buffer.from(body.toString().replace('"schemaVersion":2', '"schemaVersion":2 ')) : body) as Buffer<ArrayBuffer>);
    try {
      await expect(pullImage(`oci://${p.host}/eka/tampered@${r.digest}`, path.join(tmp, "tampered"))).rejects.toMatchObject({ code: "E_OCI_DIGEST" });
      await expect(pullImage(`oci://${p.host}/eka/tampered:1.0`, path.join(tmp, "tampered"))).rejects.toMatchObject({ code: "E_OCI_DIGEST", message: expect.stringMatching(/but the registry says sha256:/) });
      expect(fs.existsSync(path.join(tmp, "tampered", "index.json"))).toBe(false);
      // The binary cache refuses it too, adding nothing.
      await pushToOciCache(fx.store, `oci://${host}/eka/cache2`, [fx.app]);
      const s = await openStore(path.join(tmp, "fresh-tampered"));
      try {
        await expect(substituteFromOci(s, `oci://${p.host}/eka/cache2`, [fx.app])).rejects.toMatchObject({ code: "E_OCI_DIGEST" });
        expect(s.has(fx.lib) || s.has(fx.app)).toBe(false);
      } finally {
        s.close();
      }
    } finally {
      await p.close();
    }
  });

  it("retries a 500 mid-upload, and after 3 fails clearly with nothing tagged or stored", async () => {
    const isUploadPut = (req: http.IncomingMessage) => req.method === "PUT" && /\/blobs\/uploads\//.test(req.url ?? "");
    // Once: the push goes through.
    let failures = 1;
    const once = await proxy(reg!.port, (req) => (isUploadPut(req) && failures-- > 0 ? 500 : null));
    try {
      const r = await ociGet({ store: fx.store, storePath: fx.app, push: `oci://${once.host}/eka/retried:1.0`, registry: { backoffMs: 1 } });
      expect(once.hits.filter((h) => h.startsWith("PUT") && h.includes("/blobs/uploads/")).length).toBeGreaterThan(1);
      expect(JSON.parse(await skopeo(["inspect", "--tls-verify=false", `docker://${reg!.host}/eka/retried:1.0`])).Digest).toBe(r.digest);
    } finally {
      await once.close();
    }
    // Always: a clear error after 3 tries, and no tag.
    const always = await proxy(reg!.port, (req) => (isUploadPut(req) ? 500 : null));
    try {
      await expect(ociGet({ store: fx.store, storePath: fx.app, push: `oci://${always.host}/eka/broken:1.0`, registry: { backoffMs: 1 } })).rejects.toMatchObject({
        code: "E_REGISTRY",
        message: expect.stringMatching(/eka\/broken: uploading blob sha256:[0-9a-f]{64} \(\d+ bytes\) failed after 3 tries \(HTTP 500: injected 500\)/),
      });
      expect(await new Registry(`oci://${reg!.host}/eka/broken`).hasManifest("1.0")).toBe(false);
      const storeDir = path.join(tmp, "store");
      fx.store.close();
      const msg = await ekaFails(["push", `oci://${always.host}/eka/broken-cache`, fx.app], storeDir);
      fx.store = await openStore(storeDir);
      expect(msg).toMatch(/failed after 3 tries/);
      expect(await new Registry(`oci://${reg!.host}/eka/broken-cache`).hasManifest(parseStorePath(fx.lib).hashPart)).toBe(false);
    } finally {
      await always.close();
    }
    // A registry failing every NAR download: nothing is added, not even the paths fetched before.
    await pushToOciCache(fx.store, `oci://${reg!.host}/eka/cache3`, [fx.app]);
    let gets = 0;
    const failing = await proxy(reg!.port, (req) => (req.method === "GET" && /\/blobs\//.test(req.url ?? "") && gets++ >= 1 ? 500 : null));
    try {
      const s = await openStore(path.join(tmp, "fresh-500"));
      try {
        await expect(substituteFromOci(s, `oci://${failing.host}/eka/cache3`, [fx.app], { registry: { backoffMs: 1 } })).rejects.toMatchObject({ code: "E_REGISTRY", message: expect.stringMatching(/getting blob sha256:\w+ failed after 3 tries/) });
        expect(s.has(fx.lib)).toBe(false);
        expect(s.has(fx.app)).toBe(false);
      } finally {
        s.close();
      }
    } finally {
      await failing.close();
    }
  });

  it("answers a registry's bearer-token challenge with the credentials given", async () => {
    const good = `Basic ${Buffer.from("eka:secret").toString("base64")}`;
    let host = "";
    const scopes: string[] = [];
    const p = await proxy(reg!.port, (req): Injected => {
      const url = new URL(req.url ?? "/", "http://x");
      if (url.pathname === "/token") {
        scopes.push(url.searchParams.get("scope") ?? "");
        return req.headers.authorization === good ? { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ token: "tok-123" }) } : { status: 401, body: "bad credentials" };
      }
      if (req.headers.authorization === "Bearer tok-123") return null;
      const scope = `repository:${url.pathname.split("/").slice(2, 4).join("/")}:pull,push`;
      return { status: 401, headers: { "www-authenticate": `Bearer realm="http://${host}/token",service="test-registry",scope="${scope}"` }, body: "{}" };
    });
    host = p.host;
    try {
      const r = await ociGet({ store: fx.store, storePath: fx.app, push: `oci://${p.host}/eka/authed:1.0`, registry: { username: "eka", password: "secret" } });
      expect(scopes[0]).toBe("repository:eka/authed:pull,push");
      expect(JSON.parse(await skopeo(["inspect", "--tls-verify=false", `docker://${reg!.host}/eka/authed:1.0`])).Digest).toBe(r.digest);
      await expect(pullImage(`oci://${p.host}/eka/authed:1.0`, path.join(tmp, "authed"), undefined, { username: "eka", password: "wrong" })).rejects.toMatchObject({
        code: "E_REGISTRY",
        message: expect.stringMatching(/token service http:\/\/127\.0\.0\.1:\d+\/token refused the credentials of 'eka' \(HTTP 401\)/),
      });
      expect((await pullImage(`oci://${p.host}/eka/authed:1.0`, path.join(tmp, "authed"), undefined, { username: "eka", password: "secret" })).digest).toBe(r.digest);
    } finally {
      await p.close();
    }
  });
});
