// One conformance suite, run against every backend: memory:, file://, and a near memory cache
// layered in front of a far file store.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isEkaError, type ErrorCode } from "../../src/errors.ts";
import {
  addSource,
  collectGarbage,
  digestOf,
  exportPaths,
  hostTree,
  importPaths,
  makeStorePath,
  MemoryTree,
  narHash,
  narHashOf,
  openStore,
  parseDigest,
  verifyStore,
  type Digest,
  type Store,
} from "../../src/store/index.node.ts";
import { fixtures, memoryFixture, writeFixture } from "./fixtures.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "eka-store-conf-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = () => path.join(tmp, `s${n++}`);

const backends: Record<string, () => Promise<Store>> = {
  "memory:": () => openStore("memory:"),
  "file://": () => openStore(`file://${fresh()}`),
  "memory:|file:// (layered)": () => openStore(`memory:|file://${fresh()}`),
};

const enc = (s: string) => new TextEncoder().encode(s);
const pidOf = (s: string) => digestOf(enc(s));
const pathFor = (pid: Digest, name: string) => makeStorePath(pid, name);

function expectCode(fn: () => unknown, code: ErrorCode): void {
  try {
    fn();
  } catch (e) {
    if (isEkaError(e, code)) return;
    throw e;
  }
  throw new Error(`expected ${code}`);
}

for (const [label, open] of Object.entries(backends)) {
  describe(`store conformance: ${label}`, () => {
    it("blobs: put returns the BLAKE3 digest, get returns the bytes, absent is null", async () => {
      const s = await open();
      const d = s.blobs.put(enc("abc"));
      expect(d).toBe("6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85");
      expect(s.blobs.has(d)).toBe(true);
      expect(new TextDecoder().decode(s.blobs.get(d) as Uint8Array)).toBe("abc");
      const absent = parseDigest("0".repeat(64));
      expect(s.blobs.get(absent)).toBeNull();
      expect(s.blobs.has(absent)).toBe(false);
      expect(s.directories.get(absent)).toBeNull();
      expect(s.queryPathInfo(pathFor(absent, "x"))).toBeNull();
      expect(s.realisations.get(absent)).toBeNull();
    });

    it("re-hashes on read: a corrupted blob or directory is an error naming it, not wrong bytes", async () => {
      const s = await open();
      const d = s.blobs.put(enc("precious"));
      s.backend.deleteObject("blob", d);
      s.backend.writeObject("blob", d, enc("tampered"));
      expect(() => s.blobs.get(d)).toThrow(new RegExp(`blob ${d} .*corrupt`));
      const dd = parseDigest("1".repeat(64));
      s.backend.writeObject("directory", dd, enc("eka-dir-1\n"));
      expectCode(() => s.directories.get(dd), "E_CORRUPT_OBJECT");
    });

    for (const [name, f] of Object.entries(fixtures)) {
      it(`fixture '${name}': host dir and memory tree give one cid; NAR round-trips; view reads it back`, async () => {
        const s = await open();
        const host = writeFixture(fresh(), f);
        const cidHost = s.addTree(hostTree(host));
        const mem = await memoryFixture(f);
        expect(s.addTree(mem)).toBe(cidHost);
        const sp = pathFor(pidOf(name), "fixture");
        const info = s.register({ storePath: sp, cid: cidHost, pid: pidOf(name) });
        expect(info.narHash).toMatch(/^sha256:[0-9a-z]{52}$/);
        expect(s.has(sp)).toBe(true);
        const nar = [...s.dump(sp)];
        expect(narHashOf(nar)).toEqual({ narHash: info.narHash, narSize: info.narSize });
        // Importing the NAR into a fresh memory store gives the same cid and hash.
        const other = await openStore("memory:");
        const { importNar } = await import("../../src/store/index.ts");
        const again = await importNar(other, nar, { storePath: sp, narHash: info.narHash });
        expect(again.cid).toBe(cidHost);
        // The view shows the path and what is in it.
        const v = s.view([sp]);
        const base = sp.slice("/nix/store/".length);
        expect(v.readdir("")).toEqual([base]);
        expect(v.stat(base)).not.toBeNull();
        if ("file" in f) expect(new TextDecoder().decode(v.readFile(base))).toBe(f.file);
        if ("rootLink" in f) expect(v.readlink(base)).toBe(f.rootLink);
        // The tree by cid is the same tree: same NAR hash as the host directory, same cid copied.
        const t = s.tree(cidHost);
        expect(narHash(t, "sha256")).toBe(narHash(hostTree(host), "sha256"));
        expect(s.addTree(MemoryTree.copyOf(t))).toBe(cidHost);
        if ("file" in f) expect(new TextDecoder().decode(s.readFile(sp, ""))).toBe(f.file);
      });
    }

    it("view shows only the paths asked for, with modes and link targets", async () => {
      const s = await open();
      const a = s.ingest(await memoryFixture(fixtures["executables"]!), "", { storePath: pathFor(pidOf("a"), "a") });
      s.ingest(await memoryFixture(fixtures["symlinks"]!), "", { storePath: pathFor(pidOf("b"), "b") });
      const v = s.view([a.storePath]);
      const base = a.storePath.slice(11);
      expect(v.readdir("")).toEqual([base]);
      expect(v.stat(`${base}/bin/tool`)).toEqual({ kind: "file", size: 18, executable: true });
      expect(v.stat(`${base}/data`)).toEqual({ kind: "file", size: 9, executable: false });
      expect(v.stat(pathFor(pidOf("b"), "b").slice(11))).toBeNull();
      expect(v.stat(`${base}/missing`)).toBeNull();
      expectCode(() => s.view([pathFor(pidOf("zzz"), "zzz")]), "E_NOT_IN_STORE");
    });

    it("tree(cid) and readFile(storePath, rel) read a path's files without a view; mistakes are named errors", async () => {
      const s = await open();
      const a = s.ingest(await memoryFixture(fixtures["executables"]!), "", { storePath: pathFor(pidOf("ra"), "ra") });
      expect(new TextDecoder().decode(s.readFile(a.storePath, "bin/tool"))).toBe("#!/bin/sh\necho hi\n");
      expect(s.tree(a.cid).stat("bin/tool")).toEqual({ kind: "file", size: 18, executable: true });
      expect(s.tree(a.cid).readdir("")).toEqual(["bin", "data"]);
      expect(s.tree(a.cid).stat("nope")).toBeNull();
      expect(() => s.readFile(a.storePath, "bin")).toThrow(`${a.storePath}/bin is not a file`);
      expectCode(() => s.readFile(pathFor(pidOf("unregistered"), "u"), "x"), "E_NOT_IN_STORE");
      expectCode(() => s.tree(parseDigest("2".repeat(64))).stat(""), "E_MISSING_OBJECT");
    });

    it("dedup: two pids with identical output share one cid and one set of objects", async () => {
      const s = await open();
      const t = await memoryFixture(fixtures["nested and binary"]!);
      const p1 = s.ingest(t, "", { storePath: pathFor(pidOf("p1"), "out"), pid: pidOf("p1") });
      const objects = s.backend.listObjects("blob").length + s.backend.listObjects("directory").length;
      const p2 = s.ingest(t, "", { storePath: pathFor(pidOf("p2"), "out"), pid: pidOf("p2") });
      expect(p2.cid).toBe(p1.cid);
      expect(s.backend.listObjects("blob").length + s.backend.listObjects("directory").length).toBe(objects);
      expect(s.realisations.get(pidOf("p1"))).toEqual({ pid: pidOf("p1"), cid: p1.cid, storePath: p1.storePath });
      expect(s.realisations.pidsFor(p1.cid).sort()).toEqual([pidOf("p1"), pidOf("p2")].sort());
    });

    it("register checks objects and references first and adds nothing on failure", async () => {
      const s = await open();
      const missing = parseDigest("2".repeat(64));
      expectCode(() => s.register({ storePath: pathFor(pidOf("m"), "m"), cid: missing }), "E_MISSING_OBJECT");
      const cid = s.addTree(await memoryFixture(fixtures["flat files"]!));
      expectCode(() => s.register({ storePath: pathFor(pidOf("r"), "r"), cid, references: [pathFor(pidOf("ghost"), "ghost")] }), "E_MISSING_REFERENCE");
      expectCode(() => s.register({ storePath: "/nix/store/not-a-path", cid }), "E_NOT_STORE_PATH");
      expectCode(() => s.register({ storePath: pathFor(pidOf("h"), "h"), cid, narHash: "sha256:" + "0".repeat(52) }), "E_HASH_MISMATCH");
      expect(s.pathInfo.list()).toEqual([]);
      const ok = s.register({ storePath: pathFor(pidOf("h"), "h"), cid });
      const other = s.addTree(await memoryFixture(fixtures["executables"]!));
      expectCode(() => s.register({ storePath: ok.storePath, cid: other }), "E_PATH_CONFLICT");
      expect(s.register({ storePath: ok.storePath, cid, signatures: ["k:sig"] }).signatures).toEqual(["k:sig"]);
    });

    it("closure follows references; gc keeps the roots' closure and frees the rest", async () => {
      const s = await open();
      const lib = s.ingest(await memoryFixture(fixtures["flat files"]!), "", { storePath: pathFor(pidOf("lib"), "lib") });
      const app = s.ingest(await memoryFixture(fixtures["executables"]!), "", { storePath: pathFor(pidOf("app"), "app"), references: [lib.storePath] });
      const junk = s.ingest(await memoryFixture(fixtures["nested and binary"]!), "", { storePath: pathFor(pidOf("junk"), "junk"), pid: pidOf("junk") });
      expect(s.closure([app.storePath])).toEqual([app.storePath, lib.storePath].sort());
      const dry = collectGarbage(s, [app.storePath], { dryRun: true });
      expect(dry.deadPaths).toEqual([junk.storePath]);
      expect(dry.freedBytes).toBeGreaterThan(10000);
      expect(s.has(junk.storePath)).toBe(true);
      const real = collectGarbage(s, [app.storePath]);
      expect(real.freedBytes).toBe(dry.freedBytes);
      expect(s.has(junk.storePath)).toBe(false);
      expect(s.realisations.get(pidOf("junk"))).toBeNull();
      expect(s.has(app.storePath) && s.has(lib.storePath)).toBe(true);
      expect(verifyStore(s, { checkContents: true }).problems).toEqual([]);
      expect(collectGarbage(s, [app.storePath]).deadPaths).toEqual([]);
    });

    it("export and import move a closure between stores, references first", async () => {
      const s = await open();
      const lib = s.ingest(await memoryFixture(fixtures["non-ASCII names"]!), "", { storePath: pathFor(pidOf("lib2"), "lib2") });
      const app = s.ingest(await memoryFixture(fixtures["symlinks"]!), "", { storePath: pathFor(pidOf("app2"), "app2"), references: [lib.storePath], pid: pidOf("app2") });
      const stream = [...exportPaths(s, [app.storePath])];
      const dest = await openStore("memory:");
      expect(await importPaths(dest, stream)).toEqual([lib.storePath, app.storePath]);
      expect(dest.queryPathInfo(app.storePath)).toMatchObject({ cid: app.cid, narHash: app.narHash, references: [lib.storePath], pid: pidOf("app2") });
      expect(verifyStore(dest, { checkContents: true }).problems).toEqual([]);
    });

    it("verify reports a corrupted blob and the paths that use it", async () => {
      const s = await open();
      const info = addSource(s, await memoryFixture(fixtures["flat files"]!), "", "src");
      expect(verifyStore(s, { checkContents: true }).problems).toEqual([]);
      const d = digestOf(enc("hello\n"));
      s.backend.deleteObject("blob", d);
      s.backend.writeObject("blob", d, enc("HELLO\n"));
      const r = verifyStore(s, { checkContents: true });
      expect(r.problems.map((p) => p.code)).toContain("E_CORRUPT_OBJECT");
      expect(r.problems.some((p) => p.object === d)).toBe(true);
      s.backend.deleteObject("blob", d);
      const quick = verifyStore(s);
      expect(quick.problems).toMatchObject([{ code: "E_MISSING_OBJECT", storePath: info.storePath, object: d }]);
    });
  });
}
