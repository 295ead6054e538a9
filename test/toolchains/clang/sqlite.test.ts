// The SQLite amalgamation compiled by the seed clang through `eka cc`, then run with `eka wasi run`:
// a database file written in a --dir survives into a second run that reads it back.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eka } from "./eka-cli.ts";

const sqliteDir = join(dirname(createRequire(import.meta.url).resolve("better-sqlite3/package.json")), "deps/sqlite3");


const WRITE =
  "CREATE TABLE city(name TEXT PRIMARY KEY, country TEXT, pop INTEGER);" +
  "CREATE TABLE visit(city TEXT REFERENCES city(name), year INTEGER);" +
  "INSERT INTO city VALUES('Lisbon','PT',545000),('Porto','PT',232000),('Oslo','NO',709000);" +
  "INSERT INTO visit VALUES('Lisbon',2019),('Oslo',2021),('Lisbon',2023);";
const READ =
  "SELECT c.name, c.pop, COUNT(v.year) FROM city c LEFT JOIN visit v ON v.city = c.name GROUP BY c.name ORDER BY c.pop DESC;";

describe("SQLite built by eka cc", () => {
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "eka-sqlite-test-"));
    // The shell of examples/sqlite: `sqlite DB SQL…` runs each SQL argument and prints rows.
    copyFileSync(join(import.meta.dirname, "../../../examples/sqlite/src/shell.c"), join(dir, "driver.c"));
    // The amalgamation by its absolute host path (under node_modules), the driver relative. -O0:
    // about 5x faster to compile than -O1/-Os, and this test is about correctness.
    const t0 = performance.now();
    const r = await eka(
      ["cc", "-O0", "-DSQLITE_OMIT_LOAD_EXTENSION", "-DSQLITE_THREADSAFE=0", `-I${sqliteDir}`, "-o", "sqlite.wasm", join(sqliteDir, "sqlite3.c"), "driver.c"],
      dir,
    );
    console.log(`eka cc -O0 sqlite3.c + driver.c: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    expect(r.code, r.stderr).toBe(0);
  }, 600_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("creates tables, inserts and queries, and persists the database across runs", async () => {
    const data = join(dir, "data");
    mkdirSync(data);
    const w = await eka(["wasi", "run", "--dir", `${data}::/data`, "sqlite.wasm", "/data/cities.db", WRITE, "SELECT country, SUM(pop) FROM city GROUP BY country ORDER BY country;"], dir);
    expect(w.stderr).toBe("");
    expect(w.stdout).toBe("NO|709000\nPT|777000\n");
    expect(w.code).toBe(0);
    expect(existsSync(join(data, "cities.db"))).toBe(true);
    expect(statSync(join(data, "cities.db")).size).toBeGreaterThan(0);

    const r = await eka(["wasi", "run", "--dir", `${data}::/data`, "sqlite.wasm", "/data/cities.db", READ, "SELECT sqlite_version() IS NOT NULL;"], dir);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("Oslo|709000|1\nLisbon|545000|2\nPorto|232000|0\n1\n");
    expect(r.code).toBe(0);
  });
});
