// SQLite from its amalgamation: a library package and a driver package, built from declared inputs
// only and run. The one SQLite compile of the whole build suite, at -O0: about 4x less CPU than
// -O1 here (bench/build.bench.ts builds it at -O1).
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ensureSeed } from "../../src/bootstrap/seed.node.ts";
import { buildGraph, nodeBuildHost, runProgram } from "../../src/builder/index.node.ts";
import { initIR, storePathOf } from "../../src/ir/index.ts";
import { openStore, removeReadOnlyTree, type Store } from "../../src/store/open.node.ts";
import { cPackage, tempDir, writeSources } from "./helpers.ts";

export const SQLITE_DIR = join(__dirname, "../../node_modules/better-sqlite3/deps/sqlite3");
export const SQLITE_DEFINES = { SQLITE_OMIT_LOAD_EXTENSION: true, SQLITE_THREADSAFE: 0 };

const driver = `#include <stdio.h>
#include <sqlite3.h>
static int row(void *u, int n, char **v, char **c) {
  for (int i = 0; i < n; i++) printf("%s%s", i ? "|" : "", v[i] ? v[i] : "NULL");
  printf("\\n");
  return 0;
}
int main(void) {
  sqlite3 *db;
  char *err = 0;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) return 2;
  const char *sql =
    "CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT);"
    "INSERT INTO t(v) VALUES ('alpha'), ('beta'), ('gamma');"
    "SELECT k, v, length(v) FROM t WHERE k > 1 ORDER BY k;"
    "SELECT count(*), group_concat(v, '+') FROM t;";
  if (sqlite3_exec(db, sql, row, 0, &err) != SQLITE_OK) { printf("error: %s\\n", err); return 1; }
  printf("version %s\\n", sqlite3_libversion());
  return sqlite3_close(db);
}
`;

let store: Store;
let dir = "";
beforeAll(async () => {
  await initIR();
  dir = tempDir("sqlite-test");
  store = await openStore(join(dir, "store"));
});
afterAll(() => {
  store?.close();
  // Store checkouts are read-only; this helper makes them writable before removing.
  if (dir) removeReadOnlyTree(dir);
});

it("builds the SQLite amalgamation and a driver, then runs queries", async () => {
  const seed = await ensureSeed(store);
  // On a worker: the compile takes over a minute on a loaded machine, and in this thread it would
  // hold the test worker past vitest's 60 s RPC timeout.
  const host = await nodeBuildHost(store, { workers: 1 });
  const sqlite = await cPackage("sqlite", SQLITE_DIR, { cflags: ["-O0"], defines: SQLITE_DEFINES, libraries: [{ name: "sqlite3", sources: ["sqlite3.c"], headers: ["sqlite3.h"] }] }, { seed, version: "3" });
  const demo = await cPackage("sqlite-demo", writeSources(dir, "demo", { "main.c": driver }), { cflags: ["-O1"], executables: [{ name: "sqlite-demo", sources: ["main.c"], link: ["sqlite3"] }] }, { seed, inputs: { sqlite } });
  const [res] = await buildGraph([demo], { store, host });
  expect(res?.built).toBe(true);
  const r = await runProgram(storePathOf(demo), "sqlite-demo", [], { store, executor: host.executor, sandboxes: host.sandboxes });
  expect(new TextDecoder().decode(r.stderr)).toBe("");
  expect(r.exitCode).toBe(0);
  expect(new TextDecoder().decode(r.stdout)).toMatch(/^2\|beta\|4\n3\|gamma\|5\n3\|alpha\+beta\+gamma\nversion 3\.\d+\.\d+\n$/);
}, 600_000);
