// Child for crash.test.ts: ingests, collects and materialises in a loop until it is killed.
// Usage: node --import tsx test/store/crash-child.ts STORE_DIR SEED
import { digestOf, gcStore, makeStorePath, MemoryTree, openStore } from "../../src/store/index.node.ts";

const [dir, seed] = process.argv.slice(2) as [string, string];
const store = await openStore(dir);
const enc = (s: string) => new TextEncoder().encode(s);
async function* one(b: Uint8Array) {
  yield b;
}
let prev: string | undefined;
for (let i = 0; ; i++) {
  const t = new MemoryTree();
  t.directory("");
  t.directory("d");
  for (let j = 0; j < 30; j++) await t.file(`d/f${j}`, j % 3 === 0, 0, one(enc(`${seed}-${i}-${j}`.repeat(1 + ((i * j) % 200)))));
  await t.file("shared", false, 0, one(enc("the same in every path\n")));
  t.symlink("link", "d/f0");
  const pid = digestOf(enc(`${seed}:${i}`));
  // Under the lock, so the other writer's gc can't remove prev between the check and the ingest.
  const info = store.backend.withLock(() => {
    const references = prev && i % 2 && store.has(prev) ? [prev] : [];
    return store.ingest(t, "", { storePath: makeStorePath(pid, `crash-${seed}-${i}`), pid, references });
  });
  prev = info.storePath;
  if (i % 7 === 3) store.materialize?.(info.storePath);
  if (i % 11 === 5) gcStore(store, { extraRoots: [info.storePath] });
  process.stdout.write(`ok ${info.storePath}\n`);
}
