// Manifest mistakes a user meets through the real CLI: an unterminated `${…}` and a missing
// `sources` file are errors at their atom.toml line and column, and nothing reaches the store.
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { realpathSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir, writeFiles } from "./helpers.ts";
import { runEka } from "../helpers/spawn.ts";

let root = "";
const eka = (cwd: string, args: string[]) =>
  runEka(join(__dirname, "../../bin/eka.js"), args, { cwd, env: { ...process.env, EKA_STORE: join(root, "store"), EKA_CACHE: join(root, "cache") } });
const HEAD = `[atom]\nid = "app"\nversion = "0.1.0"\n\n[srcs.main]\npath = "src"\n`;

async function failsAt(dir: string, code: string, at: string, what: RegExp): Promise<void> {
  const ls = async () => (await eka(root, ["store", "ls"])).stdout;
  const before = await ls();
  const r = await eka(dir, ["build"]);
  expect(r.status, r.stderr).toBe(1);
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]?.startsWith(`eka: error[${code}]: ${at}: `), lines[0]).toBe(true);
  expect(lines[0]).toMatch(what);
  expect(await ls()).toBe(before);
  expect((await eka(root, ["store", "verify"])).status).toBe(0);
}

beforeAll(async () => {
  root = realpathSync(tempDir("manifest-cli"));
  writeFiles(root, { "f.txt": "x\n" });
  expect((await eka(root, ["store", "add", join(root, "f.txt")])).status).toBe(0);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("atom.toml mistakes at their line and column", () => {
  it("an unterminated ${ in a source path, and in a build flag", async () => {
    const a = writeFiles(join(root, "a"), { "atom.toml": `[atom]\nid = "app"\nversion = "0.1.0"\n\n[srcs.main]\npath = "src-\${version"\n`, "src-0.1.0/m.c": "" });
    await failsAt(a, "E_MANIFEST_INTERPOLATION", "atom.toml:6:13", /'\$\{' without a closing '\}' in 'src-\$\{version'\. Close it/);
    const b = writeFiles(join(root, "b"), { "atom.toml": `${HEAD}\n[build]\nkind = "c"\ncflags = ["-O1", "-DV=\${atom.version"]\n\n[build.bin.app]\nsources = ["m.c"]\n`, "src/m.c": "int main(void) { return 0; }\n" });
    await failsAt(b, "E_MANIFEST_INTERPOLATION", "atom.toml:10:23", /without a closing/);
  });

  it("a missing file in sources names its entry, in a one-line and in a multi-line list", async () => {
    const a = writeFiles(join(root, "c"), { "atom.toml": `${HEAD}\n[build]\nkind = "c"\n\n[build.bin.app]\nsources = ["m.c", "nope.c"]\n`, "src/m.c": "int main(void) { return 0; }\n" });
    await failsAt(a, "E_SOURCE", "atom.toml:12:19", /\[build\.bin\.app\] sources: 'nope\.c' does not exist \(looked for .*\/c\/src\/nope\.c\)/);
    const b = writeFiles(join(root, "d"), { "atom.toml": `${HEAD}\n[build]\nkind = "c"\n\n[build.lib.x]\nsources = [\n  "a.c", # first\n  "\${get.main}/gone.c",\n]\n`, "src/a.c": "int a;\n" });
    await failsAt(b, "E_SOURCE", "atom.toml:14:3", /\[build\.lib\.x\] sources: '\$\{get\.main\}\/gone\.c' does not exist/);
    const c = writeFiles(join(root, "e"), { "atom.toml": `${HEAD}\n[build]\nkind = "c"\n\n[build.lib.x]\nsources = ["a.c"]\nheaders = ["*.h", "x.h", "missing.h"]\n`, "src/a.c": "int a;\n", "src/x.h": "" });
    await failsAt(c, "E_SOURCE", "atom.toml:13:26", /\[build\.lib\.x\] headers: 'missing\.h' does not exist/);
  });

  it("a path source that is the atom's own directory (it would hold atom.lock, which hashes it) is refused at its line", async () => {
    const a = writeFiles(join(root, "self"), { "atom.toml": `[atom]\nid = "app"\nversion = "0.1.0"\n\n[srcs.main]\npath = "."\n\n[build]\nkind = "c"\n\n[build.bin.app]\nsources = ["m.c"]\n`, "m.c": "int main(void) { return 0; }\n" });
    await failsAt(a, "E_SOURCE", "atom.toml:6:8", /\[srcs\.main\] path '\.' is the atom's own directory, which holds atom\.lock .*path = "src"/);
  });

  it("a sources file missing from a fetched url source names its entry, once the fetch shows it is not there", async () => {
    const server = createServer((req, res) => (req.url === "/hello.c" ? res.end("int main(void) { return 0; }\n") : res.writeHead(404).end()));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const addr = server.address();
      const url = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}/hello.c`;
      const atom = `[atom]\nid = "fetched"\nversion = "0.1.0"\n\n[srcs.remote]\nurl = "${url}"\n\n[build]\nkind = "c"\nsrc = "remote"\n\n[build.bin.app]\nsources = [\n  "hello.c",\n  "\${get.remote}/nope.c",\n]\n`;
      const dir = writeFiles(join(root, "fetched"), { "atom.toml": atom });
      const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [join(__dirname, "../../bin/eka.js"), "build"], { cwd: dir, env: { ...process.env, EKA_STORE: join(root, "store"), EKA_CACHE: join(root, "cache") } });
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("exit", (status) => resolve({ status, stderr }));
      });
      expect(r.status, r.stderr).toBe(1);
      const lines = r.stderr.trimEnd().split("\n").filter((l) => l.startsWith("eka: "));
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^eka: error\[E_SOURCE\]: atom\.toml:15:3: \[build\.bin\.app\] sources: '\$\{get\.remote\}\/nope\.c' is not in source 'remote' \(\/build\/remote\/nope\.c does not exist/);
      expect((await eka(root, ["store", "verify"])).status).toBe(0);
    } finally {
      server.close();
    }
  }, 120_000);
});
