// Cross-checks against the real Nix (Debian's nix-bin): NAR bytes, NAR hashes, restores and
// signatures must match Nix exactly. Skipped, with the reason in the test name, without Nix.
import { execFileSync, spawnSync } from "node:child_process";
import * as http from "node:http";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore, publicKeyOf, signPathInfo, validSignatures, hostTree, narHash, narParse, MemoryTree, makeStorePath, digestOf, writeBinaryCache, generateKeyPair, substituteFromCache } from "../../src/store/index.node.ts";
import { initHashes } from "../../src/store/store.ts";
import { blake3, toHex } from "../../src/util/blake3.ts";
import { fixtures, memoryFixture, writeFixture } from "./fixtures.ts";

const hasNix = spawnSync("nix-store", ["--version"]).status === 0;
const skipReason = hasNix ? "" : " [SKIPPED: nix-store not installed; apt-get install nix-bin]";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "eka-store-nix-"));
// Nix runs unprivileged (and as root) with its state, config and home in a temp dir.
const nixEnv = { ...process.env, HOME: tmp, NIX_STATE_DIR: `${tmp}/nix-state`, NIX_CONF_DIR: `${tmp}/nix-conf`, NIX_LOG_DIR: `${tmp}/nix-log` };
const NX = ["--extra-experimental-features", "nix-command"];
const ekaEnv = { ...process.env, EKA_STORE: path.join(tmp, "store") };
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const eka = (args: string[], opts: { stdin?: string; stdout?: string } = {}) => {
  const out = opts.stdout ? fs.openSync(opts.stdout, "w") : "pipe";
  const inp = opts.stdin ? fs.openSync(opts.stdin, "r") : "pipe";
  const r = spawnSync(process.execPath, ["bin/eka.js", "store", ...args], { env: ekaEnv, encoding: "utf8", stdio: [inp, out, "pipe"], maxBuffer: 1 << 26 });
  if (typeof out === "number") fs.closeSync(out);
  if (typeof inp === "number") fs.closeSync(inp);
  if (r.status !== 0) throw new Error(`eka store ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return (r.stdout ?? "").trim();
};
const nix = (cmd: string, args: string[], opts: { stdin?: string; stdout?: string } = {}) => {
  const out = opts.stdout ? fs.openSync(opts.stdout, "w") : "pipe";
  const inp = opts.stdin ? fs.openSync(opts.stdin, "r") : "pipe";
  const r = spawnSync(cmd, args, { env: nixEnv, encoding: "utf8", stdio: [inp, out, "pipe"] });
  if (typeof out === "number") fs.closeSync(out);
  if (typeof inp === "number") fs.closeSync(inp);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return (r.stdout ?? "").trim();
};

/** Compares two host trees: kinds, executable bits, contents, link targets. */
function sameTree(a: string, b: string): void {
  const sa = fs.lstatSync(a);
  const sb = fs.lstatSync(b);
  expect([sa.isDirectory(), sa.isSymbolicLink(), sa.isFile()], b).toEqual([sb.isDirectory(), sb.isSymbolicLink(), sb.isFile()]);
  if (sa.isSymbolicLink()) expect(fs.readlinkSync(b)).toBe(fs.readlinkSync(a));
  else if (sa.isFile()) {
    expect((sb.mode & 0o100) !== 0, `${b} executable bit`).toBe((sa.mode & 0o100) !== 0);
    expect(sb.size, b).toBe(sa.size);
    expect(execFileSync("cmp", ["-s", a, b]).length).toBe(0);
  } else {
    const na = fs.readdirSync(a).sort();
    expect(fs.readdirSync(b).sort(), b).toEqual(na);
    for (const n of na) sameTree(path.join(a, n), path.join(b, n));
  }
}

/** A file of `size` bytes written in 1 MiB chunks of varying content, never whole in memory. */
function writeBigFile(file: string, size: number): void {
  const fd = fs.openSync(file, "w");
  const chunk = Buffer.alloc(1 << 20);
  for (let off = 0, i = 0; off < size; off += chunk.length, i++) {
    for (let j = 0; j < chunk.length; j += 4) chunk.writeUInt32LE((Math.imul(i + 1, 2654435761) ^ j) >>> 0, j);
    fs.writeSync(fd, chunk, 0, Math.min(chunk.length, size - off));
  }
  fs.closeSync(fd);
}

describe.skipIf(!hasNix)(`store vs real Nix${skipReason}`, () => {
  const cases: Record<string, string> = {};

  beforeAll(() => {
    // One directory with every fixture (symlinks, executables, empty dirs, non-ASCII names)
    // and a file over 64 MiB; plus the non-directory roots on their own.
    const all = path.join(tmp, "all");
    fs.mkdirSync(all);
    for (const [name, f] of Object.entries(fixtures)) {
      if ("file" in f || "rootLink" in f) cases[name] = writeFixture(path.join(tmp, name.replace(/ /g, "_")), f);
      else writeFixture(path.join(all, name.replace(/ /g, "_")), f);
    }
    writeBigFile(path.join(all, "big.bin"), 64 * 1024 * 1024 + 12345);
    fs.chmodSync(path.join(all, "big.bin"), 0o755);
    cases["all fixtures + 64 MiB file"] = all;
  });

  it("eka store dump is byte-identical to nix-store --dump, and the NAR hash matches nix hash path", () => {
    for (const [name, dir] of Object.entries(cases)) {
      const p = eka(["add", dir, "--name", "case"]);
      eka(["dump", p], { stdout: path.join(tmp, "eka.nar") });
      nix("nix-store", ["--dump", dir], { stdout: path.join(tmp, "nix.nar") });
      expect(spawnSync("cmp", [path.join(tmp, "eka.nar"), path.join(tmp, "nix.nar")]).status, `${name}: NARs differ`).toBe(0);
      const info = JSON.parse(eka(["path-info", "--json", p])) as Array<{ narHash: string; narSize: number }>;
      expect(info[0]?.narHash, name).toBe(`sha256:${nix("nix", [...NX, "hash", "path", "--base32", dir])}`);
      expect(info[0]?.narSize).toBe(fs.statSync(path.join(tmp, "nix.nar")).size);
    }
  }, 240_000);

  it("narHash streams a tree's NAR into the hash: sha256 is `nix hash path --base16`, blake3 is BLAKE3 of nix-store --dump", async () => {
    await initHashes();
    for (const [name, dir] of Object.entries(cases)) {
      const tree = hostTree(dir);
      expect(narHash(tree, "sha256"), name).toBe(nix("nix", [...NX, "hash", "path", "--base16", dir]));
      nix("nix-store", ["--dump", dir], { stdout: path.join(tmp, "nix.nar") });
      const want = toHex(blake3(fs.readFileSync(path.join(tmp, "nix.nar"))));
      expect(narHash(tree, "blake3"), name).toBe(want);
      expect(narHash(MemoryTree.copyOf(tree), "blake3"), `${name} copied into memory`).toBe(want);
    }
  }, 240_000);

  it("nix-store --restore of eka's NAR, and eka store restore of Nix's NAR, give back the same tree", () => {
    for (const [name, dir] of Object.entries(cases)) {
      const p = eka(["add", dir, "--name", "case"]);
      const slug = name.replace(/\W+/g, "_");
      eka(["dump", p], { stdout: path.join(tmp, "eka.nar") });
      nix("nix-store", ["--restore", path.join(tmp, `by-nix-${slug}`)], { stdin: path.join(tmp, "eka.nar") });
      sameTree(dir, path.join(tmp, `by-nix-${slug}`));
      nix("nix-store", ["--dump", dir], { stdout: path.join(tmp, "nix.nar") });
      eka(["restore", path.join(tmp, `by-eka-${slug}`)], { stdin: path.join(tmp, "nix.nar") });
      sameTree(dir, path.join(tmp, `by-eka-${slug}`));
    }
  }, 240_000);

  it("signatures: eka signs exactly as `nix store sign` does with a Nix-generated key, and verifies Nix's", async () => {
    const key = path.join(tmp, "secret.key");
    nix("nix", [...NX, "key", "generate-secret", "--key-name", "eka-test-1"], { stdout: key });
    const secret = fs.readFileSync(key, "utf8").trim();
    const pub = nix("nix", [...NX, "key", "convert-secret-to-public"], { stdin: key });
    expect(publicKeyOf(secret)).toBe(pub);

    const nixStore = path.join(tmp, "nix-root");
    const p = nix("nix", [...NX, "store", "add-path", "--store", nixStore, cases["single file root"] as string]);
    nix("nix", [...NX, "store", "sign", "--store", nixStore, "--key-file", key, p]);
    const [nixInfo] = JSON.parse(nix("nix", [...NX, "path-info", "--store", nixStore, "--json", "--sigs", p])) as Array<{ narSize: number; signatures: string[] }>;
    const store = await openStore("memory:");
    const cid = store.addTree(hostTree(cases["single file root"] as string));
    const mine = store.register({ storePath: p, cid });
    expect(mine.narSize).toBe(nixInfo?.narSize);
    const sig = signPathInfo(mine, secret);
    expect(nixInfo?.signatures).toContain(sig);
    expect(validSignatures({ ...mine, signatures: nixInfo?.signatures ?? [] }, [pub])).toEqual(["eka-test-1"]);
    expect(validSignatures({ ...mine, narSize: mine.narSize + 1, signatures: [sig] }, [pub])).toEqual([]);
  }, 120_000);

  it("narParse reads Nix's NAR of the big tree with the same hash nix reports", async () => {
    const dir = cases["all fixtures + 64 MiB file"] as string;
    nix("nix-store", ["--dump", dir], { stdout: path.join(tmp, "nix.nar") });
    const r = await narParse(fs.createReadStream(path.join(tmp, "nix.nar")), new MemoryTree());
    expect(r.narHash).toBe(`sha256:${nix("nix", [...NX, "hash", "path", "--base32", dir])}`);
  }, 120_000);

  it("Nix substitutes from a binary cache eka wrote (checking eka's signature), and eka from one Nix wrote (xz)", async () => {
    // eka → Nix: a closure of two paths, signed by an eka key.
    const store = await openStore(path.join(tmp, "bc-eka-store"));
    const lib = store.ingest(await memoryFixture(fixtures["non-ASCII names"]!), "", { storePath: makeStorePath(digestOf(new Uint8Array([1])), "lib-1.0") });
    const app = store.ingest(await memoryFixture(fixtures["executables"]!), "", { storePath: makeStorePath(digestOf(new Uint8Array([2])), "app-1.0"), references: [lib.storePath] });
    const keys = generateKeyPair("eka-cache-1");
    const cache = path.join(tmp, "bc-from-eka");
    expect(writeBinaryCache(store, cache, [app.storePath], { secretKey: keys.secretKey }).written).toEqual([lib.storePath, app.storePath]);
    const root = path.join(tmp, "bc-nix-root");
    nix("nix", [...NX, "copy", "--from", `file://${cache}`, "--to", root, "--option", "trusted-public-keys", keys.publicKey, app.storePath]);
    const [copied] = JSON.parse(nix("nix", [...NX, "path-info", "--store", root, "--json", app.storePath])) as Array<{ references: string[]; narSize: number }>;
    expect(copied?.references).toEqual([lib.storePath]);
    nix("nix-store", ["--dump", path.join(root, app.storePath)], { stdout: path.join(tmp, "copied.nar") });
    expect(Buffer.compare(fs.readFileSync(path.join(tmp, "copied.nar")), Buffer.concat([...store.dump(app.storePath)]))).toBe(0);
    const other = generateKeyPair("eka-cache-1").publicKey;
    const refused = spawnSync("nix", [...NX, "copy", "--from", `file://${cache}`, "--to", path.join(tmp, "bc-nix-root2"), "--option", "trusted-public-keys", other, app.storePath], { env: nixEnv, encoding: "utf8" });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/lacks a valid signature/);
    store.close();

    // Nix → eka: Nix publishes a signed, xz-compressed cache; eka checks and imports it.
    const key = path.join(tmp, "nix-cache.key");
    nix("nix", [...NX, "key", "generate-secret", "--key-name", "nix-cache-1"], { stdout: key });
    const pub = nix("nix", [...NX, "key", "convert-secret-to-public"], { stdin: key });
    // Small: xz of the 64 MiB file would take Nix most of a minute.
    const src = writeFixture(path.join(tmp, "bc-src"), fixtures["nested and binary"]!);
    const nixRoot = path.join(tmp, "bc-nix-src");
    const p = nix("nix", [...NX, "store", "add-path", "--store", nixRoot, src]);
    const cache2 = path.join(tmp, "bc-from-nix");
    nix("nix", [...NX, "copy", "--from", nixRoot, "--to", `file://${cache2}?secret-key=${key}&compression=xz`, p]);
    expect(fs.readdirSync(path.join(cache2, "nar")).some((n) => n.endsWith(".nar.xz"))).toBe(true);
    const wrong = spawnSync(process.execPath, ["bin/eka.js", "store", "substitute", "--from", cache2, "--trusted-key", other, p], { env: ekaEnv, encoding: "utf8" });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/E_BAD_SIGNATURE.*signatures by: nix-cache-1/);
    expect(eka(["substitute", "--from", cache2, "--trusted-key", pub, p])).toBe(p);
    const [info] = JSON.parse(eka(["path-info", "--json", p])) as Array<{ narHash: string }>;
    expect(info?.narHash).toBe(`sha256:${nix("nix", [...NX, "hash", "path", "--base32", src])}`);

    // The same cache served over HTTP on 127.0.0.1, into a fresh store.
    const server = http.createServer((req, res) => {
      const file = path.join(cache2, decodeURIComponent((req.url ?? "/").split("?")[0] as string));
      if (!file.startsWith(cache2) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200);
      fs.createReadStream(file).pipe(res);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const fresh = await openStore(path.join(tmp, "bc-http-store"));
      expect(await substituteFromCache(fresh, url, [p], { trustedKeys: [pub] })).toEqual([p]);
      expect(fresh.queryPathInfo(p)?.narHash).toBe(info?.narHash);
      await expect(substituteFromCache(fresh, url, [makeStorePath(digestOf(new Uint8Array([9])), "absent")])).rejects.toThrow(/is not in the binary cache http:\/\/127\.0\.0\.1:\d+ \(no \w+\.narinfo\)/);
      fresh.close();
    } finally {
      server.close();
    }
  }, 240_000);
});
