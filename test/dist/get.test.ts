// `eka get --tar|--deb`: reproducible archives of an eka-built atom (examples/hello), read by the
// real tools: GNU tar lists and extracts the tarball; dpkg-deb reads the .deb and `dpkg -i --root`
// installs it into a temporary root, whose launcher then runs the program through eka.
import { execFile, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { debVersion } from "../../src/dist/deb.node.ts";
import { tarStream, writeChunks, type TarEntry } from "../../src/dist/tar.node.ts";

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, "../..");
const EKA = path.join(REPO, "bin/eka.js");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "eka-dist-"));
const env = { ...process.env, EKA_STORE: path.join(tmp, "store"), SOURCE_DATE_EPOCH: "" };
const hasDpkg = spawnSync("dpkg-deb", ["--version"]).status === 0;
const hasNix = spawnSync("nix-store", ["--version"]).status === 0;

const eka = async (args: string[], extra: NodeJS.ProcessEnv = {}, cwd = tmp) => (await run(process.execPath, [EKA, ...args], { env: { ...env, ...extra }, cwd, maxBuffer: 1 << 26 })).stdout.trim();
const fails = (args: string[], cwd = tmp) =>
  run(process.execPath, [EKA, ...args], { env, cwd }).then(
    () => ({ code: 0, stderr: "" }),
    (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
  );
const sh = async (cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) => (await run(cmd, args, { maxBuffer: 1 << 26, ...opts })).stdout;

let hello = "";
beforeAll(async () => {
  hello = (await eka(["build", path.join(REPO, "examples/hello"), "--frozen"])).split("\n")[0] as string;
}, 300_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("eka get --tar", () => {
  it("writes the same bytes twice; GNU tar lists nix/store/… sorted, owned by 0/0, at time 0, and extracts the closure", async () => {
    const a = await eka(["get", path.join(REPO, "examples/hello"), "--tar", "--frozen", "-o", path.join(tmp, "a.tar")]);
    expect(a).toBe(path.join(tmp, "a.tar"));
    fs.mkdirSync(path.join(tmp, "elsewhere"));
    const b = await eka(["get", path.join(REPO, "examples/hello"), "--tar", "--frozen"], {}, path.join(tmp, "elsewhere"));
    expect(b).toBe("hello-1.0.0.tar");
    const bytes = fs.readFileSync(path.join(tmp, "a.tar"));
    expect(bytes.equals(fs.readFileSync(path.join(tmp, "elsewhere", b)))).toBe(true);
    expect(bytes.length % 10240).toBe(0);

    const base = path.basename(hello);
    const names = (await sh("tar", ["-tf", path.join(tmp, "a.tar")])).trim().split("\n");
    expect(names).toEqual(["nix/", "nix/store/", `nix/store/${base}/`, `nix/store/${base}/bin/`, `nix/store/${base}/bin/hello.wasm`]);
    const long = (await sh("tar", ["--numeric-owner", "--full-time", "-tvf", path.join(tmp, "a.tar")])).trim().split("\n");
    for (const line of long) expect(line).toMatch(/^\S+ 0\/0 +\d+ 1970-01-01 00:00:00 /);
    expect((await sh("tar", ["-tvf", path.join(tmp, "a.tar")])).includes("root")).toBe(false);

    const x = path.join(tmp, "x");
    fs.mkdirSync(x);
    await sh("tar", ["-C", x, "-xf", path.join(tmp, "a.tar")]);
    const wasm = fs.readFileSync(path.join(x, "nix/store", base, "bin/hello.wasm"));
    expect(wasm.subarray(0, 4).toString("latin1")).toBe("\0asm");
    if (hasNix) {
      // The extracted tree is the store path: its NAR hash is the one eka recorded.
      const [pi] = JSON.parse(await eka(["store", "path-info", "--json", hello])) as Array<{ narHash: string }>;
      const h = (await sh("nix", ["--extra-experimental-features", "nix-command", "hash", "path", "--base32", path.join(x, "nix/store", base)], { env: { ...process.env, HOME: tmp, NIX_STATE_DIR: `${tmp}/nix-state` } })).trim();
      expect(pi?.narHash).toBe(`sha256:${h}`);
    }
  }, 240_000);

  it("SOURCE_DATE_EPOCH sets every time stamp", async () => {
    await eka(["get", path.join(REPO, "examples/hello"), "--tar", "--frozen", "-o", path.join(tmp, "t.tar")], { SOURCE_DATE_EPOCH: "1700000000" });
    const long = (await sh("tar", ["--full-time", "--utc", "-tvf", path.join(tmp, "t.tar")], { env: { ...process.env, TZ: "UTC" } })).trim().split("\n");
    for (const line of long) expect(line).toContain("2023-11-14 22:13:20");
  }, 120_000);

  it("names past ustar's 100 bytes, long link targets and non-ASCII names survive GNU tar", async () => {
    const deep = `${"d".repeat(90)}/${"e".repeat(90)}/${"f".repeat(120)}.txt`;
    const data = new TextEncoder().encode("long\n");
    const entries: TarEntry[] = [
      { kind: "directory", path: "r" },
      { kind: "directory", path: `r/${"d".repeat(90)}` },
      { kind: "directory", path: `r/${"d".repeat(90)}/${"e".repeat(90)}` },
      { kind: "file", path: `r/${deep}`, size: data.length, executable: true, data: () => [data] },
      { kind: "symlink", path: "r/link", target: `${"t".repeat(150)}/x` },
      { kind: "file", path: "r/héllo wörld ✓", size: 0, executable: false, data: () => [] },
    ];
    const file = path.join(tmp, "long.tar");
    writeChunks(file, tarStream(entries, 0));
    const out = path.join(tmp, "long");
    fs.mkdirSync(out);
    await sh("tar", ["-C", out, "-xf", file]);
    expect(fs.readFileSync(path.join(out, "r", deep), "utf8")).toBe("long\n");
    expect(fs.statSync(path.join(out, "r", deep)).mode & 0o777).toBe(0o755);
    expect(fs.readlinkSync(path.join(out, "r/link"))).toBe(`${"t".repeat(150)}/x`);
    expect(fs.existsSync(path.join(out, "r/héllo wörld ✓"))).toBe(true);
  });
});

describe.skipIf(!hasDpkg)(`eka get --deb${hasDpkg ? "" : " [SKIPPED: dpkg-deb not installed]"}`, () => {
  it("dpkg-deb reads it; dpkg -i --root installs it (--force-not-root: no root needed); the launcher runs the program; same bytes twice", async () => {
    const deb = await eka(["get", path.join(REPO, "examples/hello"), "--deb", "--frozen", "--maintainer", "Test <t@example.org>"]);
    expect(deb).toBe("hello_1.0.0_all.deb");
    const file = path.join(tmp, deb);
    await eka(["get", path.join(REPO, "examples/hello"), "--deb", "--frozen", "--maintainer", "Test <t@example.org>", "-o", path.join(tmp, "again.deb")]);
    expect(fs.readFileSync(file).equals(fs.readFileSync(path.join(tmp, "again.deb")))).toBe(true);

    const info = await sh("dpkg-deb", ["--info", file]);
    expect(info).toMatch(/^ Package: hello$/m);
    expect(info).toMatch(/^ Version: 1\.0\.0$/m);
    expect(info).toMatch(/^ Architecture: all$/m);
    expect(info).toMatch(/^ Maintainer: Test <t@example\.org>$/m);
    expect(info).toMatch(/^ Description: prints a greeting$/m);
    const base = path.basename(hello);
    const contents = await sh("dpkg-deb", ["--contents", file]);
    expect(contents).toMatch(/^-rwxr-xr-x 0\/0 .* \.\/usr\/bin\/hello$/m);
    expect(contents).toContain(`./usr/lib/eka/store/${base}/bin/hello.wasm`);
    expect(await sh("dpkg-deb", ["--field", file, "Package", "Version"])).toBe("Package: hello\nVersion: 1.0.0\n");

    // dpkg into a temporary root: its database made by hand, --force-not-root so it needs no root.
    const root = path.join(tmp, "root");
    for (const d of ["info", "updates", "triggers"]) fs.mkdirSync(path.join(root, "var/lib/dpkg", d), { recursive: true });
    fs.writeFileSync(path.join(root, "var/lib/dpkg/status"), "");
    await sh("dpkg", [`--root=${root}`, "--log=/dev/null", "--force-not-root", "-i", file]);
    expect(await sh("dpkg-query", [`--root=${root}`, "-W", "-f", "${Package} ${Version} ${Status}", "hello"])).toBe("hello 1.0.0 install ok installed");
    expect(fs.existsSync(path.join(root, "usr/lib/eka/store", base, "bin/hello.wasm"))).toBe(true);

    // The launcher needs eka on PATH; it finds the closure next to itself.
    const bin = path.join(tmp, "path-bin");
    fs.mkdirSync(bin);
    fs.symlinkSync(EKA, path.join(bin, "eka"));
    const out = await sh(path.join(root, "usr/bin/hello"), [], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, cwd: tmp });
    expect(out).toContain("Hello from eka!");
    const noEka = spawnSync(path.join(root, "usr/bin/hello"), [], { env: { PATH: "/usr/bin:/bin" }, encoding: "utf8" });
    expect(noEka.status).toBe(127);
    expect(noEka.stderr).toContain("needs eka on PATH");
  }, 240_000);

  it.skipIf(process.getuid?.() !== 0 || spawnSync("setpriv", ["--version"]).status !== 0)("as root, the same install also works as the unprivileged user nobody", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "eka-dist-nobody-"));
    try {
      const deb = path.join(dir, "hello.deb");
      await eka(["get", path.join(REPO, "examples/hello"), "--deb", "--frozen", "-o", deb]);
      const root = path.join(dir, "root");
      for (const d of ["info", "updates", "triggers"]) fs.mkdirSync(path.join(root, "var/lib/dpkg", d), { recursive: true });
      fs.writeFileSync(path.join(root, "var/lib/dpkg/status"), "");
      fs.chmodSync(dir, 0o755);
      await sh("chown", ["-R", "nobody", dir]);
      await sh("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "dpkg", `--root=${root}`, "--log=/dev/null", "--force-not-root", "-i", deb], { env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", HOME: dir } });
      expect(fs.statSync(path.join(root, "usr/bin/hello")).uid).not.toBe(0);
      expect(fs.existsSync(path.join(root, "usr/lib/eka/store", path.basename(hello), "bin/hello.wasm"))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("semver becomes a Debian version that sorts the same way", async () => {
    expect(debVersion("1.2.3", "x")).toBe("1.2.3");
    expect(debVersion("1.0.0-rc.1", "x")).toBe("1.0.0~rc.1");
    expect(debVersion("1.0.0+build.5", "x")).toBe("1.0.0+build.5");
    const lt = (a: string, b: string) => spawnSync("dpkg", ["--compare-versions", a, "lt", b]).status === 0;
    expect(lt(debVersion("1.0.0-rc.1", "x"), debVersion("1.0.0", "x"))).toBe(true);
    expect(lt(debVersion("1.0.0-alpha", "x"), debVersion("1.0.0-beta", "x"))).toBe(true);
    expect(lt(debVersion("1.0.0", "x"), debVersion("1.0.1-rc.1", "x"))).toBe(true);
  });
});

describe("eka get: dist in atom.toml, and bad input", () => {
  /** A copy of examples/hello with `dist` set. */
  const atomWith = (name: string, dist: string) => {
    const dir = path.join(tmp, name);
    fs.cpSync(path.join(REPO, "examples/hello"), dir, { recursive: true });
    const toml = fs.readFileSync(path.join(dir, "atom.toml"), "utf8");
    // A top-level key: before the first table.
    fs.writeFileSync(path.join(dir, "atom.toml"), `dist = ${dist}\n${toml}`);
    return dir;
  };

  it("without a format flag, eka get makes what dist lists (several into a directory)", async () => {
    const dir = atomWith("with-dist", '["tar", "deb"]');
    const out = path.join(tmp, "dist-out");
    fs.mkdirSync(out);
    const files = (await eka(["get", dir, "-o", out])).split("\n");
    expect(files).toEqual([path.join(out, "hello-1.0.0.tar"), path.join(out, "hello_1.0.0_all.deb")]);
    for (const f of files) expect(fs.statSync(f).size).toBeGreaterThan(0);
    const notDir = await fails(["get", dir, "-o", path.join(tmp, "one-file.tar")]);
    expect(notDir.code).toBe(1);
    expect(notDir.stderr).toMatch(/E_NOT_DIRECTORY.*with several formats \(tar, deb\), -o names a directory/);
  }, 240_000);

  it("a missing atom, an unknown format, no format at all: clear errors, non-zero exit", async () => {
    const missing = await fails(["get", path.join(tmp, "no-such-atom"), "--tar"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/error\[E_NO_ATOM\]/);
    const rpm = await fails(["get", atomWith("with-rpm", '["rpm"]')]);
    expect(rpm.code).toBe(1);
    expect(rpm.stderr).toMatch(/error\[E_DIST_FORMAT\]: .*atom\.toml: dist lists 'rpm', which eka get cannot make; it makes tar, deb/);
    const flag = await fails(["get", path.join(REPO, "examples/hello"), "--rpm"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/unknown option '--rpm'/);
    const none = await fails(["get", path.join(REPO, "examples/hello")]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/say which format: --tar, --deb or --oci/);
  }, 120_000);
});

describe("eka get --oci", () => {
  it("writes an image layout with the same digest twice, which skopeo reads as the closure with the program as entrypoint", async () => {
    const [dirA, digestA] = (await eka(["get", path.join(REPO, "examples/hello"), "--oci", "--frozen", "-o", path.join(tmp, "img-a")])).split("\n");
    const [, digestB] = (await eka(["get", path.join(REPO, "examples/hello"), "--oci", "--frozen", "-o", path.join(tmp, "img-b")])).split("\n");
    expect(dirA).toBe(path.join(tmp, "img-a"));
    expect(digestA).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(digestB).toBe(digestA);
    const wasm = (await eka(["get", path.join(REPO, "examples/hello"), "--oci", "--wasm", "--frozen", "-o", path.join(tmp, "wasm")])).split("\n")[1];
    expect(wasm).not.toBe(digestA);
    if (spawnSync("skopeo", ["--version"]).status !== 0) return;
    const info = JSON.parse(await sh("skopeo", ["inspect", `oci:${path.join(tmp, "img-a")}:latest`])) as { Digest: string; Labels: Record<string, string>; Layers: string[] };
    expect(info.Digest).toBe(digestA);
    expect(info.Labels["dev.eka.store-path"]).toBe(hello);
    expect(info.Layers.length).toBeGreaterThanOrEqual(1);
  });

  it("refuses --push without --oci", async () => {
    const r = await fails(["get", path.join(REPO, "examples/hello"), "--tar", "--push", "oci://127.0.0.1:5/x:y"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--wasm, --push and --program go with --oci");
  });
});
