// Child for temproots.test.ts: a store handle holding temp roots looks STOREPATH up, says so, and
// reads it once a line arrives on stdin (or waits there to be killed).
// Usage: node --import tsx test/store/temproots-child.ts STORE_DIR STOREPATH
import { createInterface } from "node:readline";
import { holdTempRoots, openStore } from "../../src/store/index.node.ts";

const [dir, storePath] = process.argv.slice(2) as [string, string];
const store = await openStore(dir, { create: false });
holdTempRoots(store);
process.stdout.write(store.has(storePath) ? "rooted\n" : "missing\n");
for await (const _ of createInterface({ input: process.stdin })) break;
process.stdout.write(new TextDecoder().decode(store.readFile(storePath, "")));
store.close();
