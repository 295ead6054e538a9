import { execFileSync, spawnSync } from "node:child_process";
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
