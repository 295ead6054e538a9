// `eka bootstrap`: the chain from the pinned seed. Stage 1 (wasi-libc from Debian's source) must
// match upstream's own expected symbol lists and link a program that runs; stage 2 builds the
// package set against it with pids and bytes of its own; a tampered seed stops everything, and a
// stage-1 libc that lost a source file is caught by its checks.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { eka, ekaAsync, mirror, pkgsStore, ROOT } from "../pkgs/helpers.ts";

interface Row {
  stage: number;
  atom: string;
  libc: string | null;
  pid: string;
  storePath: string;
  cid: string;
  size: number;
  checked: string;
  ok: boolean;
}

const GEN = join(ROOT, "node_modules/@yowasp/clang/gen");

/** A copy of the seed package's files (gen/ and package.json) with one byte of `file` flipped. */
function tamperedSeed(file: string, at: number): string {
  const dir = mkdtempSync(join(tmpdir(), "eka-seed-"));
  mkdirSync(join(dir, "gen"));
  copyFileSync(join(GEN, "../package.json"), join(dir, "package.json"));
  for (const f of ["llvm.core.wasm", "llvm-resources.tar"]) copyFileSync(join(GEN, f), join(dir, "gen", f));
  const bytes = readFileSync(join(dir, "gen", file));
  bytes[at] = (bytes[at] as number) ^ 0x20;
  writeFileSync(join(dir, "gen", file), bytes);
  return join(dir, "gen");
}

describe("bootstrap/wasi-libc/atom.toml", () => {
  it("holds the file lists wasi-libc's own Makefile gives (asked of make, from the pinned tarball)", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "scripts/wasi-libc-atom.ts"), "--check"], { cwd: ROOT, encoding: "utf8", env: { ...process.env, EKA_CACHE: join(mirror(), "..") } });
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("bootstrap/wasi-libc/atom.toml matches wasi-libc's Makefile");
    expect(r.status).toBe(0);
  });
});

describe("eka bootstrap verify", () => {
  it("reports both seed files with their sizes and pins", () => {
    const r = eka(["bootstrap", "verify", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { ok: boolean; files: { file: string; size: number; blake3: string; pin: string; ok: boolean }[] };
    expect(out.ok).toBe(true);
    expect(out.files.map((f) => f.file.split("/").pop())).toEqual(["llvm.core.wasm", "llvm-resources.tar"]);
    for (const f of out.files) {
      expect(f.size).toBe(readFileSync(f.file).length);
      expect(f.blake3).toBe(f.pin);
    }
  });

  it("refuses a tampered seed, naming both hashes, and the chain stops before building anything", async () => {
    const seed = tamperedSeed("llvm-resources.tar", 4096);
    const v = eka(["bootstrap", "verify"], { env: { EKA_SEED_DIR: seed } });
    expect(v.status).not.toBe(0);
    expect(v.stdout).toContain("MISMATCH");
    expect(v.stderr).toMatch(/E_HASH_MISMATCH[\s\S]*expected: blake3:8561ff48[0-9a-f]+\n\s+actual:\s+blake3:(?!8561ff48)[0-9a-f]{64}/);
    const store = mkdtempSync(join(tmpdir(), "eka-bootstrap-empty-"));
    const b = await ekaAsync(["bootstrap", "--stages", "0,1", "--no-progress"], { env: { EKA_SEED_DIR: seed, EKA_STORE: store } });
    expect(b.status).not.toBe(0);
    expect(b.stderr).toMatch(/stage 0: [\s\S]*expected: blake3:8561ff48[\s\S]*The chain stopped before anything ran/);
    const listed = eka(["store", "ls", "--json"], { env: { EKA_STORE: store } });
    expect(listed.stdout).not.toContain("wasi-libc");
  });
});

describe("eka bootstrap: the chain", () => {
  let rows: Row[];
  beforeAll(async () => {
    const r = await ekaAsync(["bootstrap", "--json"]);
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    rows = (JSON.parse(r.stdout) as { stages: Row[] }).stages;
  }, 1_500_000);

  it("checks stage 0 against the pins and stage 1 against upstream's expected lists", () => {
    const [seed, libc] = rows;
    expect(seed?.atom).toBe("llvm-seed");
    expect(seed?.checked).toMatch(/blake3 pins/);
    expect(libc?.atom).toBe("wasi-libc");
    expect(libc?.ok).toBe(true);
    expect(libc?.checked).toContain("1211 defined symbols = upstream's expected/defined-symbols.txt");
    expect(libc?.checked).toContain("include-all.c (every public header) compiles");
    expect(libc?.checked).toContain("a program linked against it runs");
  });

  it("generates musl's bits/alltypes.h byte for byte as upstream's sed script does", () => {
    const libc = rows.find((r) => r.stage === 1) as Row;
    const work = mkdtempSync(join(tmpdir(), "eka-alltypes-"));
    const tarball = join(mirror(), "sha256", "8f9b802736a856942839d32966937c389f46e9f156415a549a6675b7535e5f74");
    execFileSync("tar", ["-xJf", tarball, "-C", work, "--strip-components=1", "--wildcards", "*/libc-top-half/musl/tools/mkalltypes.sed", "*/alltypes.h.in"]);
    const musl = join(work, "libc-top-half/musl");
    const sed = execFileSync("sed", ["-f", join(musl, "tools/mkalltypes.sed"), join(musl, "arch/wasm32/bits/alltypes.h.in"), join(musl, "include/alltypes.h.in")]);
    const ours = eka(["store", "cat", `${libc.storePath}/include/bits/alltypes.h`]);
    expect(ours.status, ours.stderr).toBe(0);
    expect(sed.length).toBeGreaterThan(1000);
    expect(ours.stdout).toBe(sed.toString("utf8"));
  });

  it("builds the package set against stage 1, each package with a pid and bytes other than its seed-libc build", async () => {
    const stage2 = rows.filter((r) => r.stage === 2);
    expect(stage2.length).toBeGreaterThanOrEqual(11);
    for (const r of stage2) {
      expect(r.ok, `${r.atom}: ${r.checked}`).toBe(true);
      expect(r.libc).toBe("wasi-libc");
    }
    const zlib = stage2.find((r) => r.atom === "zlib") as Row;
    const seedBuilt = await ekaAsync(["build", join(ROOT, "pkgs/zlib"), "--libc=seed", "--json", "--no-progress"]);
    const seedZlib = (JSON.parse(seedBuilt.stdout) as { results: { pid: string; cid: string }[] }).results[0];
    expect(seedZlib?.pid).not.toBe(zlib.pid);
    expect(seedZlib?.cid).not.toBe(zlib.cid);
    // The stage-2 zlib's programs run (its own tests run under both libcs in test/pkgs).
    const dir = mkdtempSync(join(tmpdir(), "eka-stage2-"));
    const ex = eka(["run", join(ROOT, "pkgs/zlib"), "--libc=wasi-libc", "-p", "example"], { cwd: dir });
    expect(ex.status, ex.stderr).toBe(0);
    expect(ex.stdout).toContain("inflate with dictionary: hello, hello!");
  });

  it("prints the table: stage, atom, pid, cid, size, time and what each was checked against", async () => {
    const r = await ekaAsync(["bootstrap", "--stages", "0,1", "--no-progress"]);
    expect(r.status, r.stderr).toBe(0);
    const [head, ...lines] = r.stdout.trimEnd().split("\n");
    expect(head).toMatch(/^stage\s+atom\s+pid\s+cid\s+size\s+time\s+checked against$/);
    expect(lines[0]).toMatch(/^0\s+llvm-seed-\S+\s+[0-9a-z]{12}\s+[0-9a-f]{12}\s+\d+ MiB/);
    expect(lines.at(-1)).toMatch(/^2 rows, all checked, in /);
  });

  it("catches a stage-1 libc that lost a source file: its defined symbols no longer match upstream's", async () => {
    const root = mkdtempSync(join(tmpdir(), "eka-chain-"));
    cpSync(join(ROOT, "bootstrap"), join(root, "bootstrap"), { recursive: true });
    const atom = join(root, "bootstrap/wasi-libc/atom.toml");
    const text = readFileSync(atom, "utf8");
    expect(text).toContain('  "libc-top-half/musl/src/string/strsep.c",\n');
    writeFileSync(atom, text.replace('  "libc-top-half/musl/src/string/strsep.c",\n', ""));
    const r = await ekaAsync(["bootstrap", "--root", root, "--stages", "1", "--no-progress"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("E_BOOTSTRAP_CHECK");
    expect(r.stderr).toMatch(/FAILED: \d+ defined symbols = upstream's expected\/defined-symbols.txt \(missing: strsep/);
  }, 600_000);

  it("gives the same cids under Bun, from an empty store, as under Node (stages 0 and 1)", async () => {
    // One configuration (bun, a fresh store and cache) through the matrix; Node's cids are the
    // chain's above. test/bootstrap/matrix.test.ts runs both runtimes through the matrix itself.
    const report = join(mkdtempSync(join(tmpdir(), "eka-repro-")), "reproducibility.md");
    const r = await ekaAsync(["bootstrap", "--runtime=bun", "--stages", "0,1", "--report", report, "--json"]);
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const result = JSON.parse(r.stdout) as { ok: boolean; configs: { name: string; runtime: string; storeDir: string; rows: { atom: string; cid: string }[] }[] };
    expect(result.ok).toBe(true);
    const bun = result.configs[0];
    expect(bun?.runtime).toBe("bun");
    expect(bun?.storeDir).not.toBe(pkgsStore());
    for (const atom of ["llvm-seed", "wasi-libc"]) {
      const node = rows.find((x) => x.atom === atom);
      expect(bun?.rows.find((x) => x.atom === atom)?.cid, atom).toBe(node?.cid);
    }
    const md = readFileSync(report, "utf8");
    expect(md).toContain("Generated by `eka bootstrap --runtime=bun --stages 0,1 --report");
    expect(md).toMatch(/\| wasi-libc \| `[0-9a-f]{16}…` \| same \|/);
  }, 900_000);

  it("names a bad chain file and the key to fix", () => {
    const root = mkdtempSync(join(tmpdir(), "eka-chain-bad-"));
    mkdirSync(join(root, "bootstrap"));
    writeFileSync(join(root, "bootstrap/chain.toml"), '[stage1]\natom = "wasi-libc"\nchecks = "glibc"\n[stage2]\nset = "../pkgs"\n');
    const r = eka(["bootstrap", "--root", root]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/E_CHAIN.*chain\.toml: stage1\.checks = "glibc" is not a check set eka has; use "wasi-libc"/);
  });
});
