// Bundled for Chromium by opfs.test.ts: the store conformance cases (test/store/conformance.test.ts,
// its named fixtures) against `opfs:` stores, reporting what each gave so the Node side compares it
// with a memory: store. Assertions that need no comparison throw here with the case's name.
import { isEkaError } from "../../src/errors.ts";
import { OpfsBackend } from "../../src/store/backends/opfs.ts";
import { collectGarbage, digestOf, exportPaths, importPaths, makeStorePath, narHashOf, openStore, parseDigest, storeFromBackend, verifyStore, type Digest, type Store } from "../../src/store/index.ts";
import { fixtures, memoryFixture } from "../store/fixtures.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const pidOf = (s: string) => digestOf(enc(s));
const pathFor = (pid: Digest, name: string) => makeStorePath(pid, name);

function check(what: string, ok: boolean, got?: unknown): void {
  if (!ok) throw new Error(`${what}${got === undefined ? "" : `: got ${JSON.stringify(got)}`}`);
}
function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return isEkaError(e) ? e.code : `not an EkaError: ${String(e)}`;
  }
  return "no error";
}

async function open(name: string): Promise<{ s: Store; b: OpfsBackend }> {
  const b = await OpfsBackend.open(name);
  return { s: await storeFromBackend(b), b };
}

/** Every case on fresh stores; returns each fixture's cid and NAR hash for the Node side. */
export async function conformance(prefix: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  {
    const { s, b } = await open(`${prefix}-blobs`);
    const d = s.blobs.put(enc("abc"));
    check("blob digest", d === "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85", d);
    check("blob bytes", new TextDecoder().decode(s.blobs.get(d) as Uint8Array) === "abc");
    const absent = parseDigest("0".repeat(64));
    check("absent is null", s.blobs.get(absent) === null && !s.blobs.has(absent) && s.directories.get(absent) === null && s.queryPathInfo(pathFor(absent, "x")) === null && s.realisations.get(absent) === null);
    await b.flush();
  }
  const fx: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(fixtures)) {
    const { s, b } = await open(`${prefix}-fx-${Object.keys(fx).length}`);
    const cid = s.addTree(await memoryFixture(f));
    const sp = pathFor(pidOf(name), "fixture");
    const info = s.register({ storePath: sp, cid, pid: pidOf(name) });
    const nar = [...s.dump(sp)];
    check(`${name}: NAR hash`, JSON.stringify(narHashOf(nar)) === JSON.stringify({ narHash: info.narHash, narSize: info.narSize }));
    const v = s.view([sp]);
    check(`${name}: view`, v.readdir("").join() === sp.slice(11));
    await b.flush();
    fx[name] = { cid, narHash: info.narHash, narSize: info.narSize, storePath: sp };
  }
  out.fixtures = fx;
  {
    const { s, b } = await open(`${prefix}-dedup`);
    const t = await memoryFixture(fixtures["nested and binary"]!);
    const p1 = s.ingest(t, "", { storePath: pathFor(pidOf("p1"), "out"), pid: pidOf("p1") });
    const n = s.backend.listObjects("blob").length + s.backend.listObjects("directory").length;
    const p2 = s.ingest(t, "", { storePath: pathFor(pidOf("p2"), "out"), pid: pidOf("p2") });
    check("dedup: one cid", p1.cid === p2.cid);
    check("dedup: no new objects", s.backend.listObjects("blob").length + s.backend.listObjects("directory").length === n);
    check("dedup: pidsFor", s.realisations.pidsFor(p1.cid).sort().join() === [pidOf("p1"), pidOf("p2")].sort().join());
    await b.flush();
  }
  {
    const { s, b } = await open(`${prefix}-register`);
    const missing = parseDigest("2".repeat(64));
    check("register: missing object", code(() => s.register({ storePath: pathFor(pidOf("m"), "m"), cid: missing })) === "E_MISSING_OBJECT");
    const cid = s.addTree(await memoryFixture(fixtures["flat files"]!));
    check("register: missing reference", code(() => s.register({ storePath: pathFor(pidOf("r"), "r"), cid, references: [pathFor(pidOf("ghost"), "ghost")] })) === "E_MISSING_REFERENCE");
    check("register: bad nar hash", code(() => s.register({ storePath: pathFor(pidOf("h"), "h"), cid, narHash: "sha256:" + "0".repeat(52) })) === "E_HASH_MISMATCH");
    check("register: nothing added", s.pathInfo.list().length === 0);
    const ok = s.register({ storePath: pathFor(pidOf("h"), "h"), cid });
    const other = s.addTree(await memoryFixture(fixtures["executables"]!));
    check("register: conflict", code(() => s.register({ storePath: ok.storePath, cid: other })) === "E_PATH_CONFLICT");
    await b.flush();
  }
  {
    const { s, b } = await open(`${prefix}-gc`);
    const lib = s.ingest(await memoryFixture(fixtures["flat files"]!), "", { storePath: pathFor(pidOf("lib"), "lib") });
    const app = s.ingest(await memoryFixture(fixtures["executables"]!), "", { storePath: pathFor(pidOf("app"), "app"), references: [lib.storePath] });
    const junk = s.ingest(await memoryFixture(fixtures["nested and binary"]!), "", { storePath: pathFor(pidOf("junk"), "junk"), pid: pidOf("junk") });
    check("closure", s.closure([app.storePath]).join() === [app.storePath, lib.storePath].sort().join());
    const r = collectGarbage(s, [app.storePath]);
    check("gc frees junk", r.deadPaths.join() === junk.storePath && !s.has(junk.storePath));
    check("gc verify clean", verifyStore(s, { checkContents: true }).problems.length === 0);
    await b.flush();
    out.gc = { kept: [app.storePath, lib.storePath], freed: junk.storePath };
  }
  {
    const { s, b } = await open(`${prefix}-export`);
    const lib = s.ingest(await memoryFixture(fixtures["non-ASCII names"]!), "", { storePath: pathFor(pidOf("lib2"), "lib2") });
    const app = s.ingest(await memoryFixture(fixtures["symlinks"]!), "", { storePath: pathFor(pidOf("app2"), "app2"), references: [lib.storePath], pid: pidOf("app2") });
    const stream = [...exportPaths(s, [app.storePath])];
    const dest = await openStore("memory:");
    check("export/import", (await importPaths(dest, stream)).join() === [lib.storePath, app.storePath].join());
    await b.flush();
  }
  return out;
}

/** After a reload: what the stores of `conformance(prefix)` still hold, all objects re-hashed. */
export async function reopened(prefix: string): Promise<Record<string, unknown>> {
  const fx: Record<string, unknown> = {};
  let i = 0;
  for (const name of Object.keys(fixtures)) {
    const { s } = await open(`${prefix}-fx-${i++}`);
    const sp = pathFor(pidOf(name), "fixture");
    const info = s.queryPathInfo(sp);
    check(`${name}: still registered`, info !== null);
    check(`${name}: verify`, verifyStore(s, { checkContents: true }).problems.length === 0, verifyStore(s).problems);
    fx[name] = { cid: info?.cid, narHash: info?.narHash, narSize: info?.narSize, storePath: sp };
  }
  const { s } = await open(`${prefix}-gc`);
  return { fixtures: fx, gc: { kept: s.pathInfo.list().sort(), junkGone: !s.has(pathFor(pidOf("junk"), "junk")) } };
}

/** Changes one stored blob's file in OPFS behind the store's back; the reopened store refuses it. */
export async function corrupt(prefix: string): Promise<string> {
  const { s } = await open(`${prefix}-blobs`);
  const d = digestOf(enc("abc"));
  const root = await (await navigator.storage.getDirectory()).getDirectoryHandle(`${prefix}-blobs`);
  const dir = await (await (await root.getDirectoryHandle("objects")).getDirectoryHandle("blob")).getDirectoryHandle(d.slice(0, 2));
  const w = await (await dir.getFileHandle(d)).createWritable();
  await w.write(enc("abd"));
  await w.close();
  void s;
  const again = await open(`${prefix}-blobs`);
  try {
    again.s.blobs.get(d);
  } catch (e) {
    return isEkaError(e) ? `${e.code}: ${e.message}` : String(e);
  }
  return "read without error";
}

/** A directory that is not a store is refused, not written into. */
export async function notAStore(): Promise<string> {
  const top = await navigator.storage.getDirectory();
  const d = await top.getDirectoryHandle("someone-elses", { create: true });
  await d.getFileHandle("notes.txt", { create: true });
  try {
    await OpfsBackend.open("someone-elses");
  } catch (e) {
    return isEkaError(e) ? e.code : String(e);
  }
  return "opened";
}
