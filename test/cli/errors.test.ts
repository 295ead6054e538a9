// What the machine refuses, as a user meets it through the real CLI on real directory stores: a
// full disk, a read-only or unwritable store or atom, a file where a directory should be, names
// too long or not UTF-8, a file too large, an unreachable url, `eka init` where nothing can be
// created. Each is one coded line naming the path and the fix, exit 1, no stack, and the store is
// left as it was (`eka store verify` clean).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { run } from "../helpers/spawn.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "eka-errors-"));
// Readable by the unprivileged user some tests run as.
fs.chmodSync(tmp, 0o755);
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts.reverse()) spawnSync("umount", [m]);
  spawnSync("rm", ["-rf", tmp]);
});

const ROOT = path.join(import.meta.dirname, "../..");
const cache = path.join(tmp, "cache");

async function eka(args: string[], opts: { store?: string; cwd?: string; asNobody?: boolean; timeout?: number } = {}) {
  const env = { ...process.env, EKA_STORE: opts.store ?? path.join(tmp, "store"), EKA_CACHE: cache };
  const argv = [path.join(ROOT, "bin/eka.js"), ...args];
  const t0 = Date.now();
  const r = opts.asNobody
    ? await run("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, ...argv], { env, cwd: opts.cwd ?? tmp, timeout: opts.timeout ?? 60_000 })
    : await run(process.execPath, argv, { env, cwd: opts.cwd ?? tmp, timeout: opts.timeout ?? 60_000 });
  return { ...r, ms: Date.now() - t0 };
}

/** Asserts the one-line coded error a user should see: the code, the words, exit 1, no stack. */
function expectCoded(r: Awaited<ReturnType<typeof eka>>, code: string, ...words: (string | RegExp)[]) {
  const line = r.stderr.split("\n").filter((l) => l.startsWith("eka: error"));
  expect(r.stderr, r.stderr).not.toMatch(/internal error|\n\s+at /);
  expect(line, r.stderr).toHaveLength(1);
  expect(line[0]).toContain(`eka: error[${code}]: `);
  for (const w of words) expect(line[0]).toMatch(w);
  expect(r.status, r.stderr).toBe(1);
}

async function expectVerified(store: string) {
  const v = await eka(["store", "verify"], { store });
  expect(v.stderr + v.stdout).toMatch(/ok/);
  expect(v.status, v.stdout + v.stderr).toBe(0);
  const left = fs.existsSync(path.join(store, "tmp")) ? fs.readdirSync(path.join(store, "tmp")) : [];
  expect(left, "nothing half-written is left in the store's tmp/").toEqual([]);
}

/** Mounts a tmpfs at `dir` (root only); false where it can't, so the test says it skipped. */
function tmpfs(dir: string, size: string, ro = false): boolean {
  fs.mkdirSync(dir, { recursive: true });
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size}${ro ? ",ro" : ""}`, "tmpfs", dir]);
  if (r.status !== 0) return false;
  mounts.push(dir);
  return true;
}
const canMount = tmpfs(path.join(tmp, "probe-mount"), "64k");
const isRoot = process.getuid?.() === 0 && spawnSync("setpriv", ["--version"]).status === 0;
const skipMount = canMount ? "" : " (skipped: cannot mount a tmpfs here; run as root)";

function atom(dir: string, files: Record<string, string> = {}): string {
  fs.mkdirSync(path.join(dir, "src"), { recursive: true });
  fs.writeFileSync(path.join(dir, "atom.toml"), `[atom]\nid = "${path.basename(dir)}"\nversion = "0.1.0"\n\n[srcs.main]\npath = "src"\n\n[build]\nkind = "c"\n\n[build.bin.${path.basename(dir)}]\nsources = ["main.c"]\n`);
  fs.writeFileSync(path.join(dir, "src/main.c"), "int main(void) { return 0; }\n");
  for (const [rel, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, rel), text);
  return dir;
}

describe("eka init where nothing can be created", () => {
  it("fails at once, naming the path (no loop on /proc, no stack)", async () => {
    fs.writeFileSync(path.join(tmp, "a-file"), "");
    const proc = await eka(["init", "/proc/eka-init-test"], { timeout: 10_000 });
    expectCoded(proc, "E_PERMISSION", "/proc/eka-init-test", /refuses new directories/);
    expect(proc.ms).toBeLessThan(5000);
    expectCoded(await eka(["init", path.join(tmp, "a-file", "x")]), "E_NOT_DIRECTORY", `${path.join(tmp, "a-file")} is a file where a directory is expected`, /move that file away/);
  });

  it(`on a read-only file system says so${skipMount}`, async (ctx) => {
    if (!canMount) return ctx.skip();
    const ro = path.join(tmp, "ro-init");
    tmpfs(ro, "64k", true);
    expectCoded(await eka(["init", path.join(ro, "x")]), "E_PERMISSION", `${path.join(ro, "x")} is on a read-only file system`);
  });
});

describe("the store's directory", () => {
  it("a file where the store's directory should be is E_NOT_DIRECTORY naming it", async () => {
    fs.writeFileSync(path.join(tmp, "f.txt"), "x\n");
    fs.writeFileSync(path.join(tmp, "not-a-dir"), "");
    expectCoded(await eka(["store", "add", "f.txt"], { store: path.join(tmp, "not-a-dir", "store") }), "E_NOT_DIRECTORY", path.join(tmp, "not-a-dir"));
  });

  it("a name too long is E_NAME_TOO_LONG naming it", async () => {
    const long = path.join(tmp, "s".repeat(300));
    expectCoded(await eka(["store", "add", "f.txt"], { store: long }), "E_NAME_TOO_LONG", long, /too long/);
  });

  it(`a full disk is E_DISK_FULL, and the store stays as it was${skipMount}`, async (ctx) => {
    if (!canMount) return ctx.skip();
    const small = path.join(tmp, "small");
    tmpfs(small, "2m");
    const store = path.join(small, "store");
    fs.writeFileSync(path.join(tmp, "ok.txt"), "fits\n");
    expect((await eka(["store", "add", "ok.txt"], { store })).status).toBe(0);
    fs.writeFileSync(path.join(tmp, "big.bin"), new Uint8Array(3 << 20).fill(7));
    expectCoded(await eka(["store", "add", "big.bin"], { store }), "E_DISK_FULL", `writing to the store ${store}`, /no space left/, /eka store gc/);
    await expectVerified(store);
    // A build meets it too (the seed does not fit), with the same line and a clean store after.
    expectCoded(await eka(["build", atom(path.join(tmp, "full-build")), "--no-progress"], { store }), "E_DISK_FULL", store);
    await expectVerified(store);
  });

  it(`a read-only store is E_PERMISSION naming the store${skipMount}`, async (ctx) => {
    if (!canMount) return ctx.skip();
    const dir = path.join(tmp, "ro-store");
    tmpfs(dir, "4m");
    const store = path.join(dir, "store");
    expect((await eka(["store", "add", "ok.txt"], { store })).status).toBe(0);
    expect(spawnSync("mount", ["-o", "remount,ro", dir]).status).toBe(0);
    expectCoded(await eka(["store", "add", "f.txt"], { store }), "E_PERMISSION", /read-only file system/, store);
    expectCoded(await eka(["build", atom(path.join(tmp, "ro-build")), "--no-progress"], { store }), "E_PERMISSION", store, /read-only/);
    expect(spawnSync("mount", ["-o", "remount,rw", dir]).status).toBe(0);
    await expectVerified(store);
  });

  it.skipIf(!isRoot)("a store this user may not write is E_PERMISSION naming the path and the fix", async () => {
    const store = path.join(tmp, "root-store");
    expect((await eka(["store", "add", "ok.txt"], { store })).status).toBe(0);
    fs.mkdirSync(cache, { recursive: true, mode: 0o777 });
    fs.chmodSync(cache, 0o777);
    const r = await eka(["store", "add", "ok.txt"], { store, asNobody: true });
    expectCoded(r, "E_PERMISSION", /permission denied: /, store, /writable|another store/);
    await expectVerified(store);
  });
});

describe("source trees", () => {
  it("a name that is not valid UTF-8 is refused naming it byte for byte, never mangled", async () => {
    const dir = atom(path.join(tmp, "latin1"));
    fs.writeFileSync(Buffer.concat([Buffer.from(path.join(dir, "src", "caf")), Buffer.from([0xe9]), Buffer.from(".c")]), "");
    const store = path.join(tmp, "utf8-store");
    expectCoded(await eka(["build", dir, "--no-progress"], { store }), "E_BAD_FILE_NAME", `${path.join(dir, "src")}/caf\\xe9.c`, /not valid UTF-8/, /rename it/);
    expectCoded(await eka(["store", "add", path.join(dir, "src")], { store }), "E_BAD_FILE_NAME", "caf\\xe9.c");
    expect((await eka(["store", "ls"], { store })).stdout).toBe("");
  });

  it("a file over the size limit read whole (a file source, eka store add) is E_FILE_TOO_LARGE, nothing of it stored", async () => {
    // A directory holding such a file is hashed and copied in chunks: test/cli/bigfile.test.ts.
    const dir = atom(path.join(tmp, "huge"));
    const big = path.join(dir, "big.bin");
    // Sparse: 2.5 GiB that take no disk.
    fs.closeSync(fs.openSync(big, "w"));
    fs.truncateSync(big, 2.5 * 2 ** 30);
    const toml = path.join(dir, "atom.toml");
    fs.writeFileSync(toml, fs.readFileSync(toml, "utf8").replace('kind = "c"', 'kind = "c"\nsrc = "main"') + `\n[srcs.blob]\npath = "big.bin"\nunpack = false\n`);
    const store = path.join(tmp, "huge-store");
    const r = await eka(["build", dir, "--no-progress"], { store });
    expectCoded(r, "E_FILE_TOO_LARGE", big, /2\.5 GiB/, /1 GiB/, /name the directory holding it/);
    expect(r.ms).toBeLessThan(60_000);
    expectCoded(await eka(["store", "add", big], { store }), "E_FILE_TOO_LARGE", big);
    // Only the seed, stored before the sources are loaded; nothing of the refused file.
    expect((await eka(["store", "ls"], { store })).stdout.trim().split("\n")).toEqual([expect.stringMatching(/-llvm-seed-/)]);
    await expectVerified(store);
  });

  it("a tree nested too deep for the file system is E_NAME_TOO_LONG", async () => {
    const deep = path.join(tmp, "deep");
    fs.mkdirSync(deep);
    // Made with relative mkdirs, the only way a tree gets past PATH_MAX.
    expect(spawnSync("bash", ["-c", "p=$(printf 'dddd/%.0s' $(seq 100)); for i in $(seq 11); do mkdir -p $p && cd $p || exit 1; done; echo x > f"], { cwd: deep }).status).toBe(0);
    expectCoded(await eka(["store", "add", deep], { store: path.join(tmp, "deep-store") }), "E_NAME_TOO_LONG", /nested too deep/);
  });

  it(`a read-only atom directory whose atom.lock must be written names atom.lock, not a temp file${skipMount}`, async (ctx) => {
    if (!canMount) return ctx.skip();
    const dir = path.join(tmp, "ro-atom");
    tmpfs(dir, "256k");
    const a = atom(path.join(dir, "a"));
    expect(spawnSync("mount", ["-o", "remount,ro", dir]).status).toBe(0);
    expectCoded(await eka(["build", a, "--no-progress"], { store: path.join(tmp, "ro-atom-store") }), "E_PERMISSION", new RegExp(`${path.join(a, "atom.lock")} is on a read-only file system`));
  });

  it.skipIf(!isRoot)("an atom directory this user may not read is E_PERMISSION naming the file", async () => {
    const dir = atom(path.join(tmp, "secret"));
    fs.chmodSync(path.join(dir, "src", "main.c"), 0o600);
    const store = path.join(tmp, "nobody-store");
    fs.mkdirSync(store, { mode: 0o777 });
    fs.chmodSync(store, 0o777);
    fs.mkdirSync(cache, { recursive: true });
    fs.chmodSync(cache, 0o777);
    fs.chmodSync(dir, 0o777);
    expectCoded(await eka(["build", dir, "--no-progress"], { store, asNobody: true }), "E_PERMISSION", path.join(dir, "src", "main.c"));
  });
});

describe("url sources", () => {
  const urlAtom = (name: string, url: string) =>
    atom(path.join(tmp, name), {}) && fs.writeFileSync(path.join(tmp, name, "atom.toml"), `[atom]\nid = "${name}"\nversion = "0.1.0"\n\n[srcs.main]\nurl = "${url}"\n\n[build]\nkind = "c"\n\n[build.bin.${name}]\nsources = ["main.c"]\n`);

  it("an unreachable url says why: connection refused, or the host name does not resolve", async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    urlAtom("refused", `http://127.0.0.1:${port}/x.tar.gz`);
    expectCoded(await eka(["build", "refused", "--no-progress"]), "E_FETCH", `http://127.0.0.1:${port}/x.tar.gz`, /connection was refused/, /ECONNREFUSED/);
    urlAtom("nxdomain", "http://no-such-host.invalid/x.tar.gz");
    expectCoded(await eka(["build", "nxdomain", "--no-progress"]), "E_FETCH", "no-such-host.invalid", /DNS/);
  });
});

describe("the mapping itself (errnos a test cannot provoke)", () => {
  const errno = (code: string, syscall: string, p: string) => Object.assign(new Error(`${code}: ${syscall} '${p}'`), { code, syscall, path: p, errno: -1 });

  it("reportError prints each as one coded line naming the path, exit 1, no stack", async () => {
    const { reportError } = await import("../../src/cli/main.ts");
    const cases: [string, string, RegExp][] = [
      ["ENOSPC", "E_DISK_FULL", /no space left/],
      ["EDQUOT", "E_DISK_FULL", /no space left/],
      ["EACCES", "E_PERMISSION", /permission denied/],
      ["EROFS", "E_PERMISSION", /read-only file system/],
      ["ENOTDIR", "E_NOT_DIRECTORY", /a file where a directory is expected/],
      ["EISDIR", "E_NOT_FILE", /a directory where a file is expected/],
      ["ENAMETOOLONG", "E_NAME_TOO_LONG", /too long/],
      ["EMFILE", "E_HOST_IO", /too many open files.*ulimit -n/],
      ["EIO", "E_HOST_IO", /write on \/x\/y failed: EIO/],
    ];
    for (const [code, want, words] of cases) {
      let out = "";
      const write = process.stderr.write;
      process.stderr.write = ((s: string) => ((out += s), true)) as typeof process.stderr.write;
      let status: number;
      try {
        status = reportError(errno(code, "write", "/x/y"));
      } finally {
        process.stderr.write = write;
      }
      expect(status, code).toBe(1);
      expect(out, code).toMatch(new RegExp(`^eka: error\\[${want}\\]: .*\\/x\\/y.*\\n$`));
      expect(out, code).toMatch(words);
      expect(out.split("\n")).toHaveLength(2);
    }
  });

  it("a failed fetch says why from its cause: refused, DNS, timeout", async () => {
    const { fetchFailureReason } = await import("../../src/util/io-errors.ts");
    const failed = (code: string) => new TypeError("fetch failed", { cause: Object.assign(new Error("x"), { code }) });
    expect(fetchFailureReason(failed("ECONNREFUSED"))).toMatch(/refused/);
    expect(fetchFailureReason(failed("ENOTFOUND"))).toMatch(/DNS/);
    expect(fetchFailureReason(failed("EAI_AGAIN"))).toMatch(/DNS/);
    expect(fetchFailureReason(failed("UND_ERR_CONNECT_TIMEOUT"))).toMatch(/timed out/);
    expect(fetchFailureReason(new TypeError("fetch failed", { cause: new AggregateError([Object.assign(new Error("x"), { code: "ETIMEDOUT" })]) }))).toMatch(/timed out/);
    expect(fetchFailureReason(new DOMException("The operation timed out.", "TimeoutError"))).toMatch(/timeout/);
  });
});
