import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const eka = (args: string[]) =>
  spawnSync(process.execPath, ["bin/eka.js", ...args], { encoding: "utf8" });

describe("eka entry point", () => {
  it("lists commands on --help and exits 0", () => {
    const r = eka(["--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Usage: eka <command>/);
    expect(r.stdout).toMatch(/\bbuild\b/);
  });
  it("rejects an unknown command with exit 2 and a hint", () => {
    const r = eka(["biuld"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'biuld'.*did you mean 'build'/);
  });
  it("prints its version", () => {
    expect(execFileSync(process.execPath, ["bin/eka.js", "--version"], { encoding: "utf8" })).toMatch(/^eka \d/);
  });
});

describe("global options", () => {
  it("--store before the command selects the store for that command", () => {
    const dir = mkdtempSync(join(tmpdir(), "eka-global-"));
    writeFileSync(join(dir, "f.txt"), "x\n");
    const r = eka(["--store", `file://${dir}/store`, "store", "add", join(dir, "f.txt")]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\/nix\/store\/[0-9a-z]{32}-f\.txt\n$/);
    expect(readdirSync(join(dir, "store")).length).toBeGreaterThan(0);
  });
  it("--store without an address is a usage error", () => {
    const r = eka(["--store"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--store needs an address/);
  });
});
