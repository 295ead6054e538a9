// compareRow on a memory store: runtime dependency diff ([A], [R], [U]) with sizes, the added
// closure, and the file-tree diff, which never reads a directory whose digest is the same on both sides.
import { describe, expect, it } from "vitest";
import { compareRow } from "../../src/review/compare.ts";
import type { AtomRow, Side } from "../../src/review/types.ts";
import { digestOf, type Digest } from "../../src/store/digest.ts";
import { MemoryTree } from "../../src/store/memory-tree.ts";
import { openStore, type Store } from "../../src/store/store.ts";
import { makeStorePath } from "../../src/store/store-path.ts";

const enc = (s: string) => new TextEncoder().encode(s);

function add(store: Store, name: string, files: Record<string, string>, references: string[] = []): string {
  const t = new MemoryTree();
  for (const [p, text] of Object.entries(files)) t.put(p, { kind: "file", data: enc(text), executable: false });
  const storePath = makeStorePath(digestOf(enc(name + JSON.stringify(files))), name);
  store.ingest(t, "", { storePath, references });
  return storePath;
}

function sideOf(store: Store, storePath: string, pid: string): Side {
  const info = store.queryPathInfo(storePath);
  if (!info) throw new Error("not registered");
  const closureSize = store.closure([storePath]).reduce((n, p) => n + (store.queryPathInfo(p)?.narSize ?? 0), 0);
  return { version: "1.0", dir: "app", pid, storePath, status: "built", cid: info.cid, narSize: info.narSize, closureSize };
}

describe("compareRow", () => {
  it("diffs runtime dependencies and files, descending only into directories that differ", async () => {
    const store = await openStore("memory:");
    const zOld = add(store, "zlib-1.3", { "lib/libz.so": "z".repeat(100) });
    const zNew = add(store, "zlib-1.3.1", { "lib/libz.so": "z".repeat(5000) });
    const gone = add(store, "oldlib-2.0", { "lib/x": "x" });
    const extra = add(store, "extra-1.0", { "lib/e": "e".repeat(300) });
    const same = { "share/same/deep/a.txt": "same", "share/same/deep/b.txt": "same too" };
    const base = add(store, "app-1.0", { ...same, "share/doc.txt": "one\ntwo\nthree\n", "bin/old": "old", "bin/app": "A" }, [zOld, gone]);
    const head = add(store, "app-1.0", { ...same, "share/doc.txt": "one\n2\nthree\n", "bin/new": "new", "bin/app": "AB" }, [zNew, extra]);
    const row = { key: "app", base: sideOf(store, base, "1".repeat(64)), head: sideOf(store, head, "2".repeat(64)) } as AtomRow;

    const asked: Digest[] = [];
    const get = store.directories.get.bind(store.directories);
    store.directories.get = (d) => (asked.push(d), get(d));
    compareRow(row, store, { sizeThreshold: { percent: 10, bytes: 1024 }, diff: true });

    expect(row.identicalOutput).toBe(false);
    expect(row.deps).toEqual([
      { change: "A", name: "extra", from: null, to: "1.0", addedSize: store.queryPathInfo(extra)?.narSize },
      { change: "R", name: "oldlib", from: "2.0", to: null, addedSize: 0 },
      { change: "U", name: "zlib", from: "1.3", to: "1.3.1", addedSize: store.queryPathInfo(zNew)?.narSize },
    ]);
    expect(row.closureAdded).toBe((store.queryPathInfo(zNew)?.narSize ?? 0) + (store.queryPathInfo(extra)?.narSize ?? 0));
    expect(row.size?.closure.delta).toBe((row.head?.closureSize ?? 0) - (row.base?.closureSize ?? 0));
    expect(row.size?.flagged).toBe(true);
    expect(row.files.map((f) => [f.path, f.change, f.base, f.head])).toEqual([
      ["bin/app", "modified", 1, 2],
      ["bin/new", "added", null, 3],
      ["bin/old", "removed", 3, null],
      ["share/doc.txt", "modified", 14, 12],
    ]);
    expect(row.files[3]?.diff).toBe("--- a/share/doc.txt\n+++ b/share/doc.txt\n@@\n one\n-two\n+2\n three\n \n");
    // share/same has one digest on both sides: never read.
    const shareSame = (cid: string) => {
      const root = get(cid as Digest);
      const share = root?.entries.find((e) => e.name === "share");
      const inner = share?.kind === "directory" ? get(share.digest)?.entries.find((e) => e.name === "same") : undefined;
      return inner?.kind === "directory" ? inner.digest : null;
    };
    expect(shareSame(row.head?.cid as string)).toBe(shareSame(row.base?.cid as string));
    expect(asked).not.toContain(shareSame(row.head?.cid as string));
    expect(asked).toHaveLength(6); // root, bin and share on each side
  });

  it("a new pid with the same bytes is 'identical output', with no file rows", async () => {
    const store = await openStore("memory:");
    const p = add(store, "lib-1.0", { "lib/a": "a" });
    const row = { key: "lib", files: [], base: sideOf(store, p, "1".repeat(64)), head: sideOf(store, p, "2".repeat(64)) } as unknown as AtomRow;
    compareRow(row, store, { sizeThreshold: { percent: 10, bytes: 0 }, diff: false });
    expect(row.identicalOutput).toBe(true);
    expect(row.files).toEqual([]);
    expect(row.size).toMatchObject({ flagged: false, nar: { delta: 0 } });
  });
});
