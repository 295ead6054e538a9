// A file over 2 GiB in a path source, through the real CLI on a real directory store: `eka resolve`
// hashes it for atom.lock by streaming, in bounded memory, to the hash Nix and b3sum compute; `eka
// build` copies the directory holding it into /build and checks the copy. The file is sparse (it
// takes no disk) with bytes written across chunk boundaries, so a chunk lost or repeated shows.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { run } from "../helpers/spawn.ts";

const ROOT = path.join(import.meta.dirname, "../..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "eka-bigfile-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const hasNix = spawnSync("nix-store", ["--version"]).status === 0;
const hasTools = hasNix && spawnSync("b3sum", ["--version"]).status === 0 && fs.existsSync("/usr/bin/time");

const SIZE = 2.5 * 2 ** 30;
const MiB = 2 ** 20;

/** `eka args` in `cwd` under /usr/bin/time -v: the result and the child's peak RSS in MiB. */
async function eka(args: string[], cwd: string) {
  const env = { ...process.env, EKA_STORE: path.join(tmp, "store"), EKA_CACHE: path.join(tmp, "cache") };
  const r = await run("/usr/bin/time", ["-v", process.execPath, path.join(ROOT, "bin/eka.js"), ...args], { env, cwd, timeout: 240_000 });
  const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1]) / 1024;
  return { ...r, rssMiB: rss };
}

function makeAtom(dir: string, extraSrcs: string): void {
  fs.mkdirSync(path.join(dir, "src"), { recursive: true });
  fs.mkdirSync(path.join(dir, "data"), { recursive: true });
  fs.writeFileSync(path.join(dir, "src/main.c"), "int main(void) { return 0; }\n");
  fs.writeFileSync(
    path.join(dir, "atom.toml"),
    `[atom]\nid = "big"\nversion = "0.1.0"\n\n[srcs.main]\npath = "src"\n\n[srcs.data]\npath = "data"\n${extraSrcs}\n[build]\nkind = "c"\nsrc = "main"\n\n[build.bin.big]\nsources = ["main.c"]\n`,
  );
  const big = path.join(dir, "data", "big.bin");
  const fd = fs.openSync(big, "w");
  try {
    fs.ftruncateSync(fd, SIZE);
    for (const at of [0, 4 * MiB - 3, 2 ** 31 - 5, SIZE - 7]) fs.writeSync(fd, `marker@${at}`.slice(0, 7), at);
  } finally {
    fs.closeSync(fd);
  }
}

const lockedHash = (dir: string, name: string) => new RegExp(`\\[srcs\\.${name}\\][^[]*hash = "([^"]+)"`).exec(fs.readFileSync(path.join(dir, "atom.lock"), "utf8"))?.[1];
const sh = (cmd: string, cwd: string) => spawnSync("bash", ["-o", "pipefail", "-c", cmd], { cwd, encoding: "utf8" }).stdout.split(" ")[0];

describe.skipIf(!hasTools)(`a file over 2 GiB in a path source${hasTools ? "" : " [SKIPPED: needs nix-store, b3sum and /usr/bin/time]"}`, () => {
  it("eka resolve hashes it (in a directory and as a file source) in bounded memory, as nix-store --dump | b3sum and b3sum do", async () => {
    const dir = path.join(tmp, "resolve");
    makeAtom(dir, `\n[srcs.blob]\npath = "data/big.bin"\nunpack = false\n`);
    const r = await eka(["resolve"], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(lockedHash(dir, "data")).toBe(`blake3:${sh("nix-store --dump data | b3sum", dir)}`);
    expect(lockedHash(dir, "blob")).toBe(`blake3:${sh("b3sum data/big.bin", dir)}`);
    // Reading it whole would cost more than its 2.5 GiB; streamed, a few chunks.
    expect(r.rssMiB).toBeGreaterThan(0);
    expect(r.rssMiB).toBeLessThan(300);
  });

  it("eka build copies the directory holding it into /build and checks the copy; the store holds none of it", async () => {
    const dir = path.join(tmp, "build");
    makeAtom(dir, "");
    const r = await eka(["build", "--no-progress"], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\/nix\/store\/[a-z0-9]{32}-big-0\.1\.0/);
    expect(lockedHash(dir, "data")).toBe(`blake3:${sh("nix-store --dump data | b3sum", dir)}`);
    // The compiler's memory, not the file's: 2.5 GiB read whole would not fit under this.
    expect(r.rssMiB).toBeLessThan(1024);
    const ls = await eka(["store", "ls"], dir);
    expect(ls.stdout).not.toMatch(/data|big\.bin/);
    const v = await eka(["store", "verify"], dir);
    expect(v.status, v.stderr).toBe(0);
    // The sandbox's copy (made sparse) is gone with the build.
    const builds = path.join(tmp, "store", "builds");
    expect(fs.existsSync(builds) ? fs.readdirSync(builds) : []).toEqual([]);
  });
});
