// Manifest mistakes a user meets through the real CLI: an unterminated `${…}` and a missing
// `sources` file are errors at their atom.toml line and column, and nothing reaches the store.
import { spawnSync } from "node:child_process";
import { realpathSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir, writeFiles } from "./helpers.ts";

let root = "";
const eka = (cwd: string, args: string[]) =>
  spawnSync(process.execPath, [join(__dirname, "../../bin/eka.js"), ...args], { cwd, env: { ...process.env, EKA_STORE: join(root, "store"), EKA_CACHE: join(root, "cache") }, encoding: "utf8" });
const HEAD = `[atom]\nid = "app"\nversion = "0.1.0"\n\n[srcs.main]\npath = "src"\n`;

function failsAt(dir: string, code: string, at: string, what: RegExp): void {
  const ls = () => eka(root, ["store", "ls"]).stdout;
  const before = ls();
  const r = eka(dir, ["build"]);
  expect(r.status, r.stderr).toBe(1);
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]?.startsWith(`eka: error[${code}]: ${at}: `), lines[0]).toBe(true);
  expect(lines[0]).toMatch(what);
  expect(ls()).toBe(before);
  expect(eka(root, ["store", "verify"]).status).toBe(0);
}

beforeAll(() => {
  root = realpathSync(tempDir("manifest-cli"));
  writeFiles(root, { "f.txt": "x\n" });
  expect(eka(root, ["store", "add", join(root, "f.txt")]).status).toBe(0);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("atom.toml mistakes at their line and column", () => {
  it("an unterminated ${ in a source path, and in a build flag", () => {
    const a = writeFiles(join(root, "a"), { "atom.toml": `[atom]\nid = "app"\nversion = "0.1.0"\n\n[srcs.main]\npath = "src-\${version"\n`, "src-0.1.0/m.c": "" });
    failsAt(a, "E_MANIFEST_INTERPOLATION", "atom.toml:6:13", /'\$\{' without a closing '\}' in 'src-\$\{version'\. Close it/);
    const b = writeFiles(join(root, "b"), { "atom.toml": `${HEAD}\n[build]\nkind = "c"\ncflags = ["-O1", "-DV=\${atom.version"]\n\n[build.bin.app]\nsources = ["m.c"]\n`, "src/m.c": "int main(void) { return 0; }\n" });
    failsAt(b, "E_MANIFEST_INTERPOLATION", "atom.toml:10:23", /without a closing/);
  });

  it("a missing file in sources names its entry, in a one-line and in a multi-line list", () => {
    const a = writeFiles(join(root, "c"), { "atom.toml": `${HEAD}\n[build]\nkind = "c"\n\n[build.bin.app]\nsources = ["m.c", "nope.c"]\n`, "src/m.c": "int main(void) { return 0; }\n" });
    failsAt(a, "E_SOURCE", "atom.toml:12:19", /\[build\.bin\.app\] sources: 'nope\.c' does not exist \(looked for .*\/c\/src\/nope\.c\)/);
    const b = writeFiles(join(root, "d"), { "atom.toml": `${HEAD}\n[build]\nkind = "c"\n\n[build.lib.x]\nsources = [\n  "a.c", # first\n  "\${get.main}/gone.c",\n]\n`, "src/a.c": "int a;\n" });
    failsAt(b, "E_SOURCE", "atom.toml:14:3", /\[build\.lib\.x\] sources: '\$\{get\.main\}\/gone\.c' does not exist/);
    const c = writeFiles(join(root, "e"), { "atom.toml": `${HEAD}\n[build]\nkind = "c"\n\n[build.lib.x]\nsources = ["a.c"]\nheaders = ["*.h", "x.h", "missing.h"]\n`, "src/a.c": "int a;\n", "src/x.h": "" });
    failsAt(c, "E_SOURCE", "atom.toml:13:26", /\[build\.lib\.x\] headers: 'missing\.h' does not exist/);
  });
});
