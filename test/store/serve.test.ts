// `eka store serve` against the real Nix (Debian's nix-bin) and a plain HTTP client: an eka-built
// path (examples/hello) is fetched by `nix copy` and `nix-store --realise`, which check its NAR
// hash and the server's signature; ETags, ranges, HEAD; uploads only with the token, never half
// stored. Skipped, with the reason in the test name, without Nix.
import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nixbase32Decode } from "../../src/store/index.ts";

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, "../..");
const hasNix = spawnSync("nix-store", ["--version"]).status === 0;
const skipReason = hasNix ? "" : " [SKIPPED: nix-store not installed; apt-get install nix-bin]";
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "eka-serve-"));
const nixEnv = { ...process.env, HOME: tmp, NIX_STATE_DIR: `${tmp}/nix-state`, NIX_CONF_DIR: `${tmp}/nix-conf`, NIX_LOG_DIR: `${tmp}/nix-log` };
const NX = ["--extra-experimental-features", "nix-command"];
const store = path.join(tmp, "store");
const ekaEnv = { ...process.env, EKA_STORE: store };
const servers: ChildProcess[] = [];

const eka = async (args: string[], env: NodeJS.ProcessEnv = ekaEnv) => (await run(process.execPath, [path.join(REPO, "bin/eka.js"), ...args], { env, cwd: tmp, maxBuffer: 1 << 26 })).stdout.trim();
const nix = async (cmd: string, args: string[]) => (await run(cmd, args, { env: nixEnv, maxBuffer: 1 << 26 })).stdout.trim();
/** Runs a command expected to fail; its status and stderr. */
const fails = (cmd: string, args: string[], env: NodeJS.ProcessEnv) =>
  run(cmd, args, { env }).then(
    () => ({ code: 0, stderr: "" }),
    (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
  );

/** Starts `eka store serve ARGS --port 0` and resolves to the URL it prints. */
function serve(args: string[], env: NodeJS.ProcessEnv = ekaEnv): Promise<{ url: string; child: ChildProcess; log: () => string }> {
  const child = spawn(process.execPath, [path.join(REPO, "bin/eka.js"), "store", "serve", "--port", "0", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  servers.push(child);
  let out = "";
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n")[0] as string;
      if (out.includes("\n")) resolve({ url: line, child, log: () => err });
    });
    child.once("exit", (code) => reject(new Error(`eka store serve exited ${code}: ${err}`)));
  });
}

/** A NAR hash as `sha256-BASE64`, whether written so (Nix's JSON) or as `sha256:NIXBASE32` (eka's). */
const sri = (h: string) => (h.startsWith("sha256:") ? `sha256-${Buffer.from(nixbase32Decode(h.slice(7))).toString("base64")}` : h);

let hello = "";
let info: { narHash: string; narSize: number } = { narHash: "", narSize: 0 };
let pub = "";
let key = "";

beforeAll(async () => {
  if (!hasNix) return;
  await eka(["build", path.join(REPO, "examples/hello"), "--frozen", "-o", path.join(tmp, "result")]);
  hello = await eka(["store", "path-info", path.join(tmp, "result")]).then((s) => s.split("\n")[0]?.split(/\s/)[0] as string);
  const [pi] = JSON.parse(await eka(["store", "path-info", "--json", hello])) as Array<typeof info>;
  info = pi as typeof info;
  key = path.join(tmp, "serve.key");
  pub = await eka(["store", "keygen", "serve-test-1", "--secret-file", key]);
}, 300_000);

afterAll(async () => {
  // Ctrl-C, so each server removes its temp directory; SIGKILL only one that does not stop.
  await Promise.all(servers.filter((c) => c.exitCode === null).map((c) => new Promise<void>((resolve) => {
    const hard = setTimeout(() => c.kill("SIGKILL"), 10_000);
    c.once("exit", () => (clearTimeout(hard), resolve()));
    c.kill("SIGINT");
  })));
  await run("chmod", ["-R", "u+w", tmp]).catch(() => undefined);
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!hasNix)(`eka store serve${skipReason}`, () => {
  it("nix copy and nix-store --realise fetch an eka-built path, checking its signature and NAR hash", async () => {
    for (const compression of ["none", "xz", "zstd"]) {
      const { url } = await serve(["--key-file", key, "--compression", compression, "-q"]);
      const root = path.join(tmp, `nix-root-${compression}`);
      await nix("nix", [...NX, "copy", "--from", url, "--to", root, "--option", "trusted-public-keys", pub, hello]);
      const [copied] = JSON.parse(await nix("nix", [...NX, "path-info", "--store", root, "--json", "--sigs", hello])) as Array<{ narHash: string; narSize: number; signatures: string[] }>;
      expect(sri(copied?.narHash as string), compression).toBe(sri(info.narHash));
      expect(copied?.narSize).toBe(info.narSize);
      expect(copied?.signatures.some((s) => s.startsWith("serve-test-1:"))).toBe(true);
      // Nix re-hashes what it holds: the fetched bytes are the path eka built.
      await nix("nix", [...NX, "store", "verify", "--store", root, "--no-trust", hello]);
      expect(fs.existsSync(path.join(root, hello, "bin/hello.wasm"))).toBe(true);
    }
    const { url } = await serve(["--key-file", key, "-q"]);
    const root = path.join(tmp, "nix-root-realise");
    const out = await nix("nix-store", ["--store", root, "--realise", hello, "--option", "substituters", url, "--option", "trusted-public-keys", pub]);
    expect(out).toBe(hello);
    expect(fs.existsSync(path.join(root, hello, "bin/hello.wasm"))).toBe(true);
  }, 240_000);

  it("Nix rejects a path whose signature is not by a trusted key, or that is unsigned", async () => {
    const other = path.join(tmp, "other.key");
    const otherPub = await eka(["store", "keygen", "serve-test-1", "--secret-file", other]);
    const { url } = await serve(["--key-file", key, "-q"]);
    const r = await fails("nix", [...NX, "copy", "--from", url, "--to", path.join(tmp, "nix-root-untrusted"), "--option", "trusted-public-keys", otherPub, hello], nixEnv);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/lacks a valid signature/);
    expect(fs.existsSync(path.join(tmp, "nix-root-untrusted", hello))).toBe(false);
    const unsigned = await serve(["-q"]);
    const r2 = await fails("nix", [...NX, "copy", "--from", unsigned.url, "--to", path.join(tmp, "nix-root-unsigned"), "--option", "trusted-public-keys", pub, hello], nixEnv);
    expect(r2.stderr).toMatch(/lacks a valid signature/);
  }, 120_000);

  it("HTTP: ETag and If-None-Match give 304, Range gives 206 (also compressed), HEAD has no body, unknown paths 404", async () => {
    const { url } = await serve(["--key-file", key, "--compression", "xz", "-q"]);
    const hashPart = path.basename(hello).slice(0, 32);
    const ni = await fetch(`${url}/${hashPart}.narinfo`);
    expect(ni.status).toBe(200);
    const text = await ni.text();
    expect(text).toMatch(new RegExp(`^StorePath: ${hello}$`, "m"));
    expect(text).toMatch(/^Compression: xz$/m);
    expect(text).toMatch(/^Sig: serve-test-1:/m);
    const etag = ni.headers.get("etag") as string;
    expect(etag).toMatch(/^".+"$/);
    const again = await fetch(`${url}/${hashPart}.narinfo`, { headers: { "If-None-Match": etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");

    const plainUrl = `${url}/nar/${hashPart}-${info.narHash.slice(7)}.nar`;
    const whole = new Uint8Array(await (await fetch(plainUrl)).arrayBuffer());
    expect(whole.length).toBe(info.narSize);
    const dumped = await run(process.execPath, [path.join(REPO, "bin/eka.js"), "store", "dump", hello], { env: ekaEnv, encoding: "buffer", maxBuffer: 1 << 26 });
    expect(Buffer.compare(Buffer.from(whole), dumped.stdout)).toBe(0);
    const part = await fetch(plainUrl, { headers: { Range: "bytes=100-1099" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 100-1099/${info.narSize}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(Buffer.from(whole.subarray(100, 1100)))).toBe(true);
    const tail = await fetch(plainUrl, { headers: { Range: "bytes=-16" } });
    expect(Buffer.from(await tail.arrayBuffer()).equals(Buffer.from(whole.subarray(whole.length - 16)))).toBe(true);
    expect((await fetch(plainUrl, { headers: { Range: `bytes=${info.narSize}-` } })).status).toBe(416);
    const narEtag = (await fetch(plainUrl, { method: "HEAD" })).headers.get("etag") as string;
    expect((await fetch(plainUrl, { headers: { "If-None-Match": narEtag } })).status).toBe(304);

    const xzUrl = `${plainUrl}.xz`;
    const xzWhole = Buffer.from(await (await fetch(xzUrl)).arrayBuffer());
    const xzPart = await fetch(xzUrl, { headers: { Range: "bytes=10-" } });
    expect(xzPart.status).toBe(206);
    expect(Buffer.from(await xzPart.arrayBuffer()).equals(xzWhole.subarray(10))).toBe(true);
    const unxz = spawnSync("xz", ["-dc"], { input: xzWhole });
    expect(Buffer.compare(unxz.stdout, Buffer.from(whole))).toBe(0);

    const head = await fetch(`${url}/${hashPart}.narinfo`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get("content-length"))).toBe(Buffer.byteLength(text));
    expect(await head.text()).toBe("");
    expect((await fetch(`${url}/${"0".repeat(32)}.narinfo`)).status).toBe(404);
    expect((await fetch(`${url}/nar/${hashPart}-${"0".repeat(52)}.nar`)).status).toBe(404);
    expect((await fetch(`${url}/nix-cache-info`)).status).toBe(200);

    // A client that goes away mid-NAR does not disturb the server.
    const u = new URL(plainUrl);
    await new Promise<void>((resolve) => {
      const sock = net.connect(Number(u.port), "127.0.0.1", () => sock.write(`GET ${u.pathname} HTTP/1.1\r\nHost: x\r\n\r\n`));
      sock.once("data", () => sock.destroy());
      sock.on("close", () => resolve());
      sock.on("error", () => undefined);
    });
    expect((await fetch(plainUrl)).status).toBe(200);
  }, 120_000);

  it("uploads: refused when read-only (403) or without the token (401); nix copy --to with the token stores paths; a bad NAR stores nothing", async () => {
    const ro = await serve(["-q"]);
    expect((await fetch(`${ro.url}/nar/x.nar`, { method: "PUT", body: "x" })).status).toBe(403);

    // Nix publishes a path of its own to a fresh eka store through the server.
    const upStore = path.join(tmp, "up-store");
    const env = { ...process.env, EKA_STORE: upStore };
    const { url } = await serve(["--upload-token", "s3cret", "-q"], env);
    const put = (rel: string, body: string | Uint8Array, auth?: string) => fetch(`${url}/${rel}`, { method: "PUT", body: typeof body === "string" ? body : new Blob([new Uint8Array(body)]), headers: auth ? { Authorization: auth } : {} });
    expect((await put("nar/x.nar", "x")).status).toBe(401);
    expect((await put("nar/x.nar", "x", "Bearer wrong")).status).toBe(401);

    const src = path.join(tmp, "nix-src");
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, "a.txt"), "from nix\n".repeat(1000));
    const nixRoot = path.join(tmp, "nix-root-src");
    const p = await nix("nix", [...NX, "store", "add-path", "--store", nixRoot, src]);
    const netrc = path.join(tmp, "netrc");
    fs.writeFileSync(netrc, "machine 127.0.0.1 login eka password s3cret\n");
    await nix("nix", [...NX, "copy", "--from", nixRoot, "--to", `${url}?compression=xz`, "--option", "netrc-file", netrc, p]);
    const [got] = JSON.parse(await eka(["store", "path-info", "--json", p], env)) as Array<{ narHash: string }>;
    expect(got?.narHash).toBe(`sha256:${await nix("nix", [...NX, "hash", "path", "--base32", src])}`);

    // A NAR cut short, then its narinfo: refused with the reason, and the path is not stored.
    const nar = (await run("nix-store", ["--dump", src], { env: nixEnv, encoding: "buffer" })).stdout;
    const fakePath = p.replace(/-[^/]+$/, "-other");
    const hp = path.basename(fakePath).slice(0, 32);
    const narHash = `sha256:${await nix("nix", [...NX, "hash", "path", "--base32", src])}`;
    expect((await put("nar/short.nar", nar.subarray(0, 100), "Bearer s3cret")).status).toBe(201);
    const bad = await put(`${hp}.narinfo`, `StorePath: ${fakePath}\nURL: nar/short.nar\nCompression: none\nNarHash: ${narHash}\nNarSize: ${nar.length}\nReferences: \n`, "Bearer s3cret");
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/E_BAD_NAR|E_HASH_MISMATCH/);
    const missing = await fails(process.execPath, [path.join(REPO, "bin/eka.js"), "store", "path-info", fakePath], env);
    expect(missing.stderr).toMatch(/E_NOT_IN_STORE/);
    // An upload cut off mid-body (the client goes away): nothing is staged for a narinfo to name.
    const port = Number(new URL(url).port);
    await new Promise<void>((resolve) => {
      const sock = net.connect(port, "127.0.0.1", () => {
        sock.write(`PUT /nar/cut.nar HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\nContent-Length: ${nar.length}\r\n\r\n`);
        sock.write(nar.subarray(0, 200), () => setTimeout(() => sock.destroy(), 100));
      });
      sock.on("close", () => resolve());
      sock.on("error", () => undefined);
    });
    const cut = await put(`${hp}.narinfo`, `StorePath: ${fakePath}\nURL: nar/cut.nar\nCompression: none\nNarHash: ${narHash}\nNarSize: ${nar.length}\nReferences: \n`, "Bearer s3cret");
    expect(cut.status).toBe(400);
    expect(await cut.text()).toMatch(/was not uploaded first/);
    // A narinfo whose NAR was never uploaded.
    const orphan = await put(`${hp}.narinfo`, `StorePath: ${fakePath}\nURL: nar/never.nar\nCompression: none\nNarHash: ${narHash}\nNarSize: ${nar.length}\nReferences: \n`, "Bearer s3cret");
    expect(orphan.status).toBe(400);
    expect(await orphan.text()).toMatch(/PUT the NAR, then its narinfo/);
  }, 120_000);

  it("bad input: a port in use, a missing compressor, a bad option: clear errors, non-zero exit", async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = await fails(process.execPath, [path.join(REPO, "bin/eka.js"), "store", "serve", "--port", String(port)], ekaEnv);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`error[E_PORT_IN_USE]: 127.0.0.1:${port} is already in use`);
    } finally {
      blocker.close();
    }
    // A PATH with node but without zstd.
    const bin = path.join(tmp, "bin-no-zstd");
    fs.mkdirSync(bin);
    fs.symlinkSync(process.execPath, path.join(bin, "node"));
    const r = await fails(process.execPath, [path.join(REPO, "bin/eka.js"), "store", "serve", "--port", "0", "--compression", "zstd"], { ...ekaEnv, PATH: bin });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/E_UNSUPPORTED_COMPRESSION.*needs the 'zstd' program.*apt-get install zstd/);
    const u = await fails(process.execPath, [path.join(REPO, "bin/eka.js"), "store", "serve", "--compression", "bzip2"], ekaEnv);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/--compression 'bzip2' is not one of none, xz, zstd/);
  }, 60_000);

  it("Ctrl-C stops the server cleanly (exit 0, port released)", async () => {
    const { url, child } = await serve(["-q"]);
    expect((await fetch(`${url}/nix-cache-info`)).status).toBe(200);
    const exited = new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    await expect(fetch(`${url}/nix-cache-info`)).rejects.toThrow();
  }, 60_000);
});
