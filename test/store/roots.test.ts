// materialize() checkouts, result links as gc roots, and `eka store gc` through the CLI.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { digestOf, listRoots, makeResultLink, makeStorePath, openStore } from "../../src/store/index.node.ts";
import { fixtures, memoryFixture } from "./fixtures.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "eka-store-roots-"));
afterAll(() => {
  spawnSync("chmod", ["-R", "u+w", tmp]);
  fs.rmSync(tmp, { recursive: true, force: true });
});
const pid = (s: string) => digestOf(new TextEncoder().encode(s));
const eka = (store: string, args: string[]) => spawnSync(process.execPath, ["bin/eka.js", "store", ...args], { env: { ...process.env, EKA_STORE: store }, encoding: "utf8" });

describe("materialize and gc roots", () => {
  it("materialize writes a faithful read-only checkout once and reuses it", async () => {
    const s = await openStore(path.join(tmp, "m"));
    const info = s.ingest(await memoryFixture(fixtures["executables"]!), "", { storePath: makeStorePath(pid("x"), "x") });
    s.ingest(await memoryFixture(fixtures["symlinks"]!), "", { storePath: makeStorePath(pid("y"), "y") });
    const dir = s.materialize!(info.storePath);
    expect(dir).toBe(path.join(tmp, "m", "checkout", info.storePath.slice(11)));
    expect(fs.readFileSync(path.join(dir, "bin/tool"), "utf8")).toBe("#!/bin/sh\necho hi\n");
    expect(fs.statSync(path.join(dir, "bin/tool")).mode & 0o777).toBe(0o555);
    expect(fs.statSync(path.join(dir, "data")).mode & 0o777).toBe(0o444);
    expect(fs.statSync(path.join(dir, "bin")).mode & 0o777).toBe(0o555);
    const y = s.materialize!(makeStorePath(pid("y"), "y"));
    expect(fs.readlinkSync(path.join(y, "dir/up"))).toBe("../target");
    expect(s.materialize!(info.storePath)).toBe(dir);
    expect(fs.readdirSync(path.join(tmp, "m", "tmp"))).toEqual([]);
  });

  it("a result link keeps its closure alive; once the link goes, gc reports and frees it", async () => {
    const store = path.join(tmp, "g");
    const s = await openStore(store);
    const lib = s.ingest(await memoryFixture(fixtures["nested and binary"]!), "", { storePath: makeStorePath(pid("lib"), "lib") });
    const app = s.ingest(await memoryFixture(fixtures["executables"]!), "", { storePath: makeStorePath(pid("app"), "app"), references: [lib.storePath] });
    const junk = s.ingest(await memoryFixture(fixtures["flat files"]!), "", { storePath: makeStorePath(pid("junk"), "junk") });
    const link = path.join(tmp, "result");
    makeResultLink(s, app.storePath, link);
    expect(fs.readFileSync(path.join(link, "data"), "utf8")).toBe("not exec\n");
    expect(listRoots(s).map((r) => [r.storePath, r.alive])).toEqual([[app.storePath, true]]);
    s.close();

    const dry = eka(store, ["gc", "--dry-run", "--json"]);
    expect(dry.status).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, deadPaths: [junk.storePath], livePaths: 2 });
    const human = eka(store, ["gc", "--dry-run"]).stdout;
    expect(human).toContain(`would delete ${junk.storePath}`);
    expect(human).toMatch(/would free \d+ bytes \(1 paths, \d+ objects\)/);
    expect(eka(store, ["ls"]).stdout.trim().split("\n")).toHaveLength(3);

    fs.unlinkSync(link);
    const gc = JSON.parse(eka(store, ["gc", "--json"]).stdout) as { deadPaths: string[]; freedBytes: number; removedCheckouts: number };
    expect(gc.deadPaths).toEqual([app.storePath, junk.storePath, lib.storePath].sort());
    expect(gc.freedBytes).toBeGreaterThan(10000);
    expect(gc.removedCheckouts).toBe(1);
    expect(eka(store, ["ls"]).stdout.trim()).toBe("");
    expect(fs.readdirSync(path.join(store, "checkout"))).toEqual([]);
    expect(fs.readdirSync(path.join(store, "gcroots"))).toEqual([]);
    expect(eka(store, ["verify", "--check-contents"]).status).toBe(0);
  });
});
