import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { UsageError } from "../../src/cli/args.ts";
import { reportError } from "../../src/cli/main.ts";
import { EkaError } from "../../src/errors.ts";

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

describe("exit statuses", () => {
  it("are 1 for an EkaError, 2 for a usage error, 130 for an aborted build, 70 for anything else", () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((s) => (written.push(String(s)), true));
    try {
      expect(reportError(new EkaError("E_NO_ATOM", "no atom.toml in /x"))).toBe(1);
      expect(reportError(new UsageError("eka log", "missing PATH"))).toBe(2);
      expect(reportError(new EkaError("E_ABORTED", "build aborted"))).toBe(130);
      expect(reportError(new TypeError("x is undefined"))).toBe(70);
    } finally {
      spy.mockRestore();
    }
    expect(written[0]).toBe("eka: error[E_NO_ATOM]: no atom.toml in /x\n");
    expect(written[1]).toBe("eka log: missing PATH\nRun 'eka log --help' for usage.\n");
    expect(written[3]).toMatch(/^eka: internal error: TypeError: x is undefined\n\s+at /);
  });
});
