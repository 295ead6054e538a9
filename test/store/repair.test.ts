// Stored bytes are never silently wrong: `eka store verify` re-hashes by default and names the
// path and the file, `eka store repair` mends from a checkout or a binary cache, and checkouts are
// read-only and compared with their objects. The real CLI on real directory stores.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBlake3 } from "../../src/util/blake3.ts";
import { addSource, digestOf, findDamage, LayeredBackend, MemoryBackend, mendPath, openStore, removeReadOnlyTree, storeFromBackend, verifyStore } from "../../src/store/index.node.ts";
import { fixtures, memoryFixture } from "./fixtures.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "eka-store-repair-"));
afterAll(() => removeReadOnlyTree(tmp));

function eka(store: string, args: string[]) {
  const r = spawnSync(process.execPath, ["bin/eka.js", "store", ...args], { env: { ...process.env, EKA_STORE: store }, encoding: "utf8" });
  return { status: r.status, out: r.stdout.trim(), err: r.stderr };
}

const files = { "bin/tool": "#!/bin/sh\necho tool\n", "share/doc.txt": "the documentation\n", "share/more.txt": "more text\n" };

/** A fresh store holding one path (added by `eka store add`) with a checkout; its blobs by file. */
async function setup(name: string, opts: { checkout?: boolean } = {}) {
  await initBlake3();
  const store = path.join(tmp, name);
  const src = path.join(tmp, `${name}-src`);
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(src, f)), { recursive: true });
    fs.writeFileSync(path.join(src, f), text, { mode: f.startsWith("bin/") ? 0o755 : 0o644 });
  }
  const add = eka(store, ["add", src, "--name", "tool"]);
  expect(add.status, add.err).toBe(0);
  const storePath = add.out;
  let checkout = "";
  if (opts.checkout !== false) {
    const s = await openStore(store);
    checkout = s.materialize!(storePath);
    s.close();
  }
  const blob = (f: keyof typeof files) => {
    const d = digestOf(new TextEncoder().encode(files[f]));
    return path.join(store, "objects", "blob", d.slice(0, 2), d);
  };
  return { store, storePath, checkout, blob, digest: (f: keyof typeof files) => path.basename(blob(f)) };
}

function flipByte(file: string): void {
  const b = fs.readFileSync(file);
  b[2] = (b[2] as number) ^ 0x20;
  fs.chmodSync(file, 0o644);
  fs.writeFileSync(file, b);
}

describe("eka store verify", () => {
  it("re-hashes by default and names the store path and the file; --fast only checks sizes", async () => {
    const { store, storePath, blob, digest } = await setup("v1");
    expect(eka(store, ["verify"])).toMatchObject({ status: 0, out: "1 paths, 6 objects re-hashed, 1 checkouts compared: ok" });
    flipByte(blob("share/doc.txt"));
    const v = eka(store, ["verify"]);
    expect(v.status).toBe(1);
    expect(v.err).toMatch(new RegExp(`^eka: E_CORRUPT_OBJECT: ${storePath}/share/doc\\.txt: contents do not match \\(blake3 expected ${digest("share/doc.txt")}, got [0-9a-f]{64}\\)$`, "m"));
    expect(v.err).toContain("'eka store repair --all'");
    expect(eka(store, ["verify", "--check-contents"]).status).toBe(1);
    // Same size, so the fast mode does not see it, by name.
    expect(eka(store, ["verify", "--fast"])).toMatchObject({ status: 0, out: "1 paths, 1 checkouts compared: ok" });
    const j = eka(store, ["verify", "--json"]);
    expect(j.status).toBe(1);
    expect(JSON.parse(j.out).problems).toEqual([
      { code: "E_CORRUPT_OBJECT", storePath, file: "share/doc.txt", object: digest("share/doc.txt"), message: expect.stringContaining(`${storePath}/share/doc.txt: contents do not match`) },
    ]);
    fs.rmSync(blob("bin/tool"));
    const fast = eka(store, ["verify", "--fast"]);
    expect(fast.status).toBe(1);
    expect(fast.err).toContain(`eka: E_MISSING_OBJECT: ${storePath}/bin/tool: its contents are missing (blob ${digest("bin/tool")})`);
    expect(eka(store, ["verify", "--fast", "--check-contents"]).status).toBe(2);
  });

  it("a checkout is read-only, and a changed one is found and named", async () => {
    const { store, storePath, checkout } = await setup("v2");
    const mode = (p: string) => fs.lstatSync(path.join(checkout, p)).mode & 0o777;
    expect([mode(""), mode("bin"), mode("bin/tool"), mode("share/doc.txt")]).toEqual([0o555, 0o555, 0o555, 0o444]);
    fs.chmodSync(path.join(checkout, "share"), 0o755);
    fs.chmodSync(path.join(checkout, "share/doc.txt"), 0o644);
    fs.writeFileSync(path.join(checkout, "share/doc.txt"), "THE documentation\n");
    fs.writeFileSync(path.join(checkout, "share/extra"), "x");
    const v = eka(store, ["verify"]);
    expect(v.status).toBe(1);
    expect(v.err).toContain(`eka: E_CHECKOUT_CHANGED: ${checkout}/share/doc.txt: was changed (its contents no longer hash to blake3 `);
    expect(v.err).toContain(`(the checkout of ${storePath})`);
    expect(v.err).toContain(`eka: E_CHECKOUT_CHANGED: ${checkout}/share/extra: was added`);
    const r = eka(store, ["repair", storePath]);
    expect(r.status, r.err).toBe(0);
    expect(r.out).toContain(`made the checkout ${checkout} again from the store (changed: share/extra, share/doc.txt)`);
    expect(fs.readFileSync(path.join(checkout, "share/doc.txt"), "utf8")).toBe(files["share/doc.txt"]);
    expect(fs.existsSync(path.join(checkout, "share/extra"))).toBe(false);
    expect([mode("share"), mode("share/doc.txt")]).toEqual([0o555, 0o444]);
    expect(eka(store, ["verify"]).status).toBe(0);
    expect(fs.readdirSync(path.join(store, "tmp"))).toEqual([]);
  });
});

describe("eka store repair", () => {
  it("mends a corrupt blob from the path's checkout, replacing the object whole", async () => {
    const { store, storePath, checkout, blob } = await setup("r1");
    flipByte(blob("share/doc.txt"));
    const r = eka(store, ["repair", "--all"]);
    expect(r.status, r.err).toBe(0);
    expect(r.out).toBe(`repaired ${storePath}/share/doc.txt from its checkout ${checkout} (its blob object was corrupt)\n1 repaired`);
    expect(fs.readFileSync(blob("share/doc.txt"), "utf8")).toBe(files["share/doc.txt"]);
    expect(fs.statSync(blob("share/doc.txt")).mode & 0o777).toBe(0o444);
    expect(eka(store, ["verify"]).status).toBe(0);
    expect(eka(store, ["repair", "--all"]).out).toBe("1 paths: nothing to repair");
  });

  it("without a good copy it fails naming the path, the file and the ways left, and changes nothing; --from a cache mends it", async () => {
    const { store, storePath, checkout, blob, digest } = await setup("r2");
    const cache = path.join(tmp, "r2-cache");
    expect(eka(store, ["cache", cache, storePath]).status).toBe(0);
    fs.rmSync(blob("bin/tool"));
    flipByte(blob("share/more.txt"));
    removeReadOnlyTree(checkout);
    const before = eka(store, ["verify", "--json"]).out;
    const r = eka(store, ["repair", storePath]);
    expect(r.status).toBe(1);
    expect(r.err).toContain(`eka: E_MISSING_OBJECT: ${storePath}/bin/tool: its contents are missing (blob ${digest("bin/tool")})`);
    expect(r.err).toMatch(
      new RegExp(`^eka: error\\[E_MISSING_OBJECT\\]: could not repair ${storePath} \\(bin/tool, share/more.txt\\): .*'eka build --repair ATOM'.*--from DIR\\|URL$`, "m"),
    );
    expect(eka(store, ["verify", "--json"]).out).toBe(before);
    const ok = eka(store, ["repair", storePath, "--from", cache]);
    expect(ok.status, ok.err).toBe(0);
    expect(ok.out.split("\n").sort()).toEqual([
      "2 repaired",
      `repaired ${storePath}/bin/tool from the binary cache ${cache} (its blob object was missing)`,
      `repaired ${storePath}/share/more.txt from the binary cache ${cache} (its blob object was corrupt)`,
    ]);
    expect(eka(store, ["verify"]).status).toBe(0);
  });

  it("mends a missing directory object from a cache; a cache with other bytes mends nothing", async () => {
    const { store, storePath, checkout } = await setup("r3");
    const cache = path.join(tmp, "r3-cache");
    expect(eka(store, ["cache", cache, `${storePath}`]).status).toBe(0);
    removeReadOnlyTree(checkout);
    const s = await openStore(store);
    const top = s.directories.get(s.queryPathInfo(storePath)!.cid)!;
    const share = top.entries.find((e) => e.name === "share") as { digest: string };
    s.close();
    fs.rmSync(path.join(store, "objects", "directory", share.digest.slice(0, 2), share.digest));
    const v = eka(store, ["verify"]);
    expect(v.err).toContain(`eka: E_MISSING_OBJECT: ${storePath}/share: its directory listing is missing (directory ${share.digest})`);
    // A tampered NAR in the cache is refused before anything is written.
    const nar = path.join(cache, "nar", fs.readdirSync(path.join(cache, "nar"))[0] as string);
    const good = fs.readFileSync(nar);
    fs.writeFileSync(nar, Buffer.from(good.toString("latin1").replace("more text", "MORE text"), "latin1"));
    const bad = eka(store, ["repair", storePath, "--from", cache]);
    expect(bad.status).toBe(1);
    expect(bad.err).toMatch(/E_HASH_MISMATCH.*NAR hash\/size is .* but its narinfo says/);
    expect(eka(store, ["verify"]).err).toBe(v.err);
    fs.writeFileSync(nar, good);
    const r = eka(store, ["repair", storePath, "--from", cache]);
    expect(r.status, r.err).toBe(0);
    expect(r.out).toContain(`repaired ${storePath}/share from the binary cache ${cache} (its directory object was missing)`);
    expect(eka(store, ["verify"]).status).toBe(0);
  });

  it("--all deletes corrupt objects no path uses; usage errors are exit 2", async () => {
    const { store } = await setup("r4");
    const loose = digestOf(new TextEncoder().encode("an action cache output\n"));
    const file = path.join(store, "objects", "blob", loose.slice(0, 2), loose);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, "an action cache output, corrupted\n");
    const v = eka(store, ["verify"]);
    expect(v.status).toBe(1);
    expect(v.err).toMatch(new RegExp(`E_CORRUPT_OBJECT: blob ${loose}: contents do not match .*no registered path uses it`));
    expect(eka(store, ["repair", "--all"]).out).toBe(`deleted the corrupt blob ${loose}, which no path uses\n1 repaired`);
    expect(fs.existsSync(file)).toBe(false);
    expect(eka(store, ["verify"]).status).toBe(0);
    expect(eka(store, ["repair"])).toMatchObject({ status: 2, err: expect.stringContaining("missing STOREPATH (or --all") });
    expect(eka(store, ["repair", "--all", "/nix/store/00000000000000000000000000000000-x"]).status).toBe(2);
    expect(eka(store, ["repair", "/nix/store/00000000000000000000000000000000-x"]).err).toMatch(/E_NOT_IN_STORE.*cannot repair \/nix\/store\/0+-x: it is not in the store/);
  });
});

describe("mending in every backend", () => {
  const backends = { memory: () => new MemoryBackend(), "memory|memory": () => new LayeredBackend(new MemoryBackend(), new MemoryBackend()) };
  for (const [name, make] of Object.entries(backends)) {
    it(`${name}: a corrupt blob kept by a first-write-wins backend is replaced; wrong bytes are never written`, async () => {
      const s = await storeFromBackend(make());
      const tree = await memoryFixture(fixtures["nested and binary"]!);
      const info = addSource(s, tree, "", "src");
      const d = digestOf(new TextEncoder().encode("1234567"));
      s.backend.deleteObject("blob", d);
      s.backend.writeObject("blob", d, new TextEncoder().encode("7654321"));
      const damage = findDamage(s, info.storePath, info.cid);
      expect(damage).toMatchObject([{ code: "E_CORRUPT_OBJECT", file: "odd", kind: "blob", digest: d }]);
      // A source with other bytes at that place mends nothing.
      const other = await memoryFixture({ ...(fixtures["nested and binary"] as object), odd: "7654321" } as never);
      expect(mendPath(s, info.storePath, info.cid, other, "", damage)).toMatchObject({ mended: [], left: damage });
      expect(mendPath(s, info.storePath, info.cid, tree, "", damage)).toMatchObject({ mended: damage, left: [] });
      expect(verifyStore(s).problems).toEqual([]);
    });
  }
});
