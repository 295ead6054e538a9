// Jansson under eka's WASI host: upstream's own suites (valid, invalid, invalid-unicode,
// encoding-flags; read from the pinned tarball) pass through upstream's harness, a handful of
// its API tests pass, and json_process decodes and encodes a document or names the line, column
// and byte position of a syntax error.
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { mirror, scratch , LIBCS, withLibc } from "./helpers.ts";

const TARBALL = "c739578bf6b764aa0752db9a2fdadcfe921c78f1228c7ec0bb47fa804c55d17b";

/** test/suites of the pinned jansson tarball, unpacked into a scratch directory. */
function suites(): string {
  const dir = scratch("jansson");
  execFileSync("tar", ["xzf", join(mirror(), "sha256", TARBALL), "-C", dir, "--strip-components=3", "jansson-2.14/test/suites"]);
  return dir;
}

const cases = (dir: string, ...names: string[]): string[] =>
  names.flatMap((s) => readdirSync(join(dir, s), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => `${s}/${e.name}`));

describe.each(LIBCS)("pkgs/jansson (libc %s)", (libc) => {
  const { build: buildPkg, run: runPkg } = withLibc(libc);
  // await: buildPkg may become asynchronous (a long synchronous build starves vitest\'s RPC).
  beforeAll(async () => {
    await buildPkg("jansson");
  }, 900_000);

  it("passes upstream's suites, each case as CMake's ctest runs it", () => {
    const dir = suites();
    const stripped = cases(dir, "valid", "invalid");
    const plain = cases(dir, "invalid-unicode", "encoding-flags");
    expect(stripped.length + plain.length).toBeGreaterThan(100);
    const a = runPkg("jansson", "json_suites", ["--strip", ...stripped], { cwd: dir });
    const b = runPkg("jansson", "json_suites", plain, { cwd: dir });
    const lines = (a.stdout + b.stdout).trim().split("\n");
    expect(lines.filter((l) => !l.startsWith("ok "))).toEqual([]);
    expect(lines).toContain("ok valid/real-exponent (strip)");
    expect(lines).toContain("ok invalid/null-byte-in-string");
    expect(lines).not.toContain("ok invalid/null-byte-in-string (strip)");
    expect([a.status, b.status]).toEqual([0, 0]);
  });

  it.each(["test_load", "test_pack", "test_unpack", "test_object", "test_number", "test_simple"])("passes upstream's API test %s", (t) => {
    const r = runPkg("jansson", t, []);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("decodes and encodes a document, and reports a syntax error's line, column and position", () => {
    const ok = runPkg("jansson", "json_process", ["--env"], { input: '{"b": [1, 2.5, "caf\\u00e9"],\n "a": {"x": null}}' });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toBe('{"b": [1, 2.5, "café"], "a": {"x": null}}');
    const bad = runPkg("jansson", "json_process", ["--env"], { input: '{"b": [1, 2.5],\n "a": {"x": nul}}' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe("2 15 31\ninvalid token near 'nul'\n");
    const tree = runPkg("jansson", "simple_parse", [], { input: '{"k": [true, 1.5]}\n' });
    expect(tree.stdout).toContain('JSON Object of 1 pair:\n  JSON Key: "k"\n  JSON Array of 2 elements:\n    JSON True\n    JSON Real: 1.500000\n');
  });
});
