// `eka build` of a directory of atoms (a package set): one graph, a table (or --json) with each
// package's status, and a failure that stops only what needs it. And `eka mirror add|verify`,
// the way a user files tarballs for an offline build.
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "fflate";
import { packTar } from "modern-tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runEka } from "../helpers/spawn.ts";

const ROOT = join(import.meta.dirname, "../..");
const tmp = mkdtempSync(join(tmpdir(), "eka-set-"));
const set = join(tmp, "set");
const env = { ...process.env, EKA_STORE: join(tmp, "store"), EKA_CACHE: join(tmp, "cache"), EKA_MIRRORS: "", EKA_FETCH_TIMEOUT: "5" };
function eka(args: string[], cwd = tmp) {
  return runEka(join(ROOT, "bin/eka.js"), args, { env, cwd, timeout: 600_000 });
}

let tarHash = "";
beforeAll(async () => {
  mkdirSync(set);
  // The repository is the set's parent, so path dependencies between its atoms stay inside it.
  spawnSync("git", ["init", "-q", tmp]);
  for (const a of ["hello", "greet-lib", "greet-app"]) cpSync(join(ROOT, "examples", a), join(set, a), { recursive: true });
  // A url source with a pinned hash that no mirror holds yet, and an atom that depends on it.
  const tar = gzipSync(await packTar([{ header: { name: "t-1/t.c", size: 36, mode: 0o644 }, body: "int main(void) { return 0; }\n/* */ \n" }]));
  writeFileSync(join(tmp, "t-1.tar.gz"), tar);
  tarHash = (await import("node:crypto")).createHash("sha256").update(tar).digest("hex");
  mkdirSync(join(set, "tarball"));
  writeFileSync(
    join(set, "tarball", "atom.toml"),
    `[atom]\nid = "tarball"\nversion = "1.0.0"\n[srcs.t]\nurl = "http://127.0.0.1:3/t-1.tar.gz"\nhash = "sha256:${tarHash}"\n[build]\nkind = "c"\n[build.bin.t]\nsources = ["t.c"]\n`,
  );
  mkdirSync(join(set, "needs-tarball", "src"), { recursive: true });
  writeFileSync(join(set, "needs-tarball", "src", "n.c"), "int main(void) { return 0; }\n");
  writeFileSync(
    join(set, "needs-tarball", "atom.toml"),
    `[atom]\nid = "needs-tarball"\nversion = "1.0.0"\n[srcs.main]\npath = "src"\n[deps.tarball]\npath = "../tarball"\n[build]\nkind = "c"\n[build.bin.n]\nsources = ["n.c"]\n`,
  );
});
afterAll(() => {
  spawnSync("chmod", ["-R", "u+w", tmp]);
  rmSync(tmp, { recursive: true, force: true });
});

describe("eka build SET", () => {
  it("builds every atom of the set, reports the one whose source no mirror has (and what needs it), and exits 1", async () => {
    const r = await eka(["build", set, "--no-progress"]);
    expect(r.status).toBe(1);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^package\s+status\s+time\s+size\s+closure$/);
    const row = (name: string) => lines.find((l) => l.startsWith(`${name}-`)) ?? "";
    expect(row("hello")).toMatch(/^hello-1\.0\.0\s+built\s+[\d.]+ s\s+[\d.]+ KiB\s+[\d.]+ KiB$/);
    expect(row("greet-app")).toMatch(/\bbuilt\b/);
    expect(row("tarball")).toMatch(/^tarball-1\.0\.0\s+failed\s+-/);
    expect(row("needs-tarball")).toMatch(/failed \(tarball-1\.0\.0\)/);
    expect(lines.at(-1)).toMatch(/^5 packages: (3 built, 2 failed|2 failed, 3 built) in /);
    expect(r.stderr).toContain(`error[E_FETCH]`);
    expect(r.stderr).toContain(`sha256:${tarHash}`);
    expect(r.stderr).toMatch(/EKA_MIRRORS/);
  });

  it("after 'eka mirror add' files the tarball, the set builds offline, and --json says what each package is", async () => {
    const mirror = join(tmp, "mirror");
    const add = await eka(["mirror", "add", "--mirror", mirror, join(tmp, "t-1.tar.gz")]);
    expect(add.status).toBe(0);
    expect(add.stdout).toBe(`sha256:${tarHash}  ${join(tmp, "t-1.tar.gz")}\n`);
    expect(readdirSync(join(mirror, "sha256"))).toEqual([tarHash]);
    const r = await eka(["build", set, "--json", "--mirror", mirror]);
    expect(r.status).toBe(0);
    const rows = (JSON.parse(r.stdout) as { results: { atom: string; status: string; storePath: string; closureSize: number; narSize: number }[] }).results;
    expect(rows.map((x) => [x.atom, x.status])).toEqual([
      ["greet-app", "cached"],
      ["greet-lib", "cached"],
      ["hello", "cached"],
      ["needs-tarball", "built"],
      ["tarball", "built"],
    ]);
    for (const x of rows) {
      expect(x.storePath).toMatch(new RegExp(`^/nix/store/[0-9a-z]{32}-${x.atom}-`));
      // Static links: a package refers to nothing, so its closure is itself.
      expect(x.closureSize).toBe(x.narSize);
    }
  });

  it("-o names one result, so it is a usage error with several atoms", async () => {
    const r = await eka(["build", set, "-o", "result"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/out-link names one result/);
  });
});

describe("eka mirror verify", () => {
  it("re-hashes a mirror and names a file whose bytes changed, exit 1", async () => {
    const mirror = join(tmp, "mirror");
    expect((await eka(["mirror", "verify", mirror])).stdout).toBe(`${mirror}: 1 files re-hashed: ok\n`);
    const f = join(mirror, "sha256", tarHash);
    chmodSync(f, 0o644);
    writeFileSync(f, "tampered");
    const r = await eka(["mirror", "verify", mirror, "--json"]);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ files: 1, bad: [{ file: f }] });
    const missing = await eka(["mirror", "verify", join(tmp, "nowhere")]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/E_NO_MIRROR.*no mirror at/);
  });
});
