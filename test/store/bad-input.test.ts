// Bad input through the CLI: each is a clear error naming what is wrong, and nothing is added.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkSigned,
  formatNarinfo,
  generateKeyPair,
  openStore,
  parseNarinfo,
  signPathInfo,
  type PathInfo,
} from "../../src/store/index.node.ts";
import { fixtures, writeFixture } from "./fixtures.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "eka-store-bad-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function eka(store: string, args: string[], stdin?: Uint8Array | string) {
  const r = spawnSync(process.execPath, ["bin/eka.js", "store", ...args], { env: { ...process.env, EKA_STORE: store }, input: stdin, maxBuffer: 1 << 26 });
  return { status: r.status, stdout: r.stdout, text: r.stdout.toString("utf8").trim(), stderr: r.stderr.toString("utf8") };
}

describe("eka store: bad input", () => {
  const good = path.join(tmp, "good-store");
  let storePath = "";
  let nar = new Uint8Array();
  let exported = new Uint8Array();

  beforeAll(() => {
    const src = writeFixture(path.join(tmp, "src"), fixtures["non-ASCII names"]!);
    storePath = eka(good, ["add", src, "--name", "src"]).text;
    nar = eka(good, ["dump", storePath]).stdout;
    exported = eka(good, ["export", storePath]).stdout;
    expect(nar.length).toBeGreaterThan(500);
  });

  it("a truncated NAR: restore fails naming the truncation and leaves no directory", () => {
    const r = eka(good, ["restore", path.join(tmp, "out1")], nar.subarray(0, nar.length - 40));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/E_BAD_NAR.*the NAR on stdin is not a valid NAR at byte \d+: the archive is truncated/);
    expect(fs.existsSync(path.join(tmp, "out1"))).toBe(false);
    expect(fs.readdirSync(tmp).filter((n) => n.includes("eka-restore"))).toEqual([]);
  });

  it("a NAR with a tampered structure fails naming the place", () => {
    const bad = Buffer.from(nar);
    const at = bad.indexOf("directory");
    bad.write("diXectory", at);
    const r = eka(good, ["restore", path.join(tmp, "out2")], bad);
    expect(r.stderr).toMatch(/E_BAD_NAR.*unknown node type 'diXectory'/);
    expect(fs.existsSync(path.join(tmp, "out2"))).toBe(false);
  });

  it("truncated or tampered exports are refused and add nothing to the store", () => {
    const empty = path.join(tmp, "empty-store");
    const trunc = eka(empty, ["import"], exported.subarray(0, exported.length - 100));
    expect(trunc.status).toBe(1);
    expect(trunc.stderr).toMatch(/truncated/);
    const tampered = Buffer.from(exported);
    const at = tampered.indexOf("ü\n");
    tampered[at + 2] = "X".charCodeAt(0);
    tampered.write("Y", tampered.indexOf("lower"));
    const t = eka(empty, ["import"], tampered);
    expect(t.status).toBe(1);
    expect(t.stderr).toMatch(/E_HASH_MISMATCH.*NAR of \/nix\/store\/\S+-src: NAR hash is sha256:\S+, but sha256:\S+ was expected.*nothing was added/);
    expect(eka(empty, ["ls"]).text).toBe("");
    expect(eka(empty, ["verify", "--check-contents"]).status).toBe(0);
    // And the untampered export imports fine.
    expect(eka(empty, ["import"], exported).text).toBe(storePath);
  });

  it("a corrupted blob on disk: reads fail naming the blob, verify finds it", () => {
    const store = path.join(tmp, "corrupt-store");
    eka(store, ["import"], exported);
    expect(eka(store, ["verify", "--check-contents"]).status).toBe(0);
    const blobsDir = path.join(store, "objects", "blob");
    const victim = fs
      .readdirSync(blobsDir)
      .flatMap((d) => fs.readdirSync(path.join(blobsDir, d)).map((f) => path.join(blobsDir, d, f)))
      .find((f) => fs.readFileSync(f, "utf8") === "upper") as string;
    fs.chmodSync(victim, 0o644);
    fs.writeFileSync(victim, "UPPER");
    const digest = path.basename(victim);
    const cat = eka(store, ["cat", `${storePath}/Z`]);
    expect(cat.status).toBe(1);
    expect(cat.stderr).toContain(`E_CORRUPT_OBJECT]: blob ${digest}`);
    expect(cat.text).toBe("");
    expect(eka(store, ["dump", storePath]).status).toBe(1);
    const v = eka(store, ["verify", "--check-contents", "--json"]);
    expect(v.status).toBe(1);
    const report = JSON.parse(v.text) as { problems: Array<{ code: string; object?: string }> };
    expect(report.problems.some((p) => p.code === "E_CORRUPT_OBJECT" && p.object === digest)).toBe(true);
  });

  it("a narinfo with a bad signature is refused; a signed one is accepted; import --trusted-key checks too", async () => {
    const keys = generateKeyPair("cache.example-1");
    const other = generateKeyPair("cache.example-1");
    const s = await openStore(good);
    const info = s.queryPathInfo(storePath) as PathInfo;
    s.close();
    const sig = signPathInfo(info, keys.secretKey);
    const text = formatNarinfo({ ...info, url: "nar/x.nar", compression: "none", signatures: [sig] });
    expect(text).toContain(`StorePath: ${storePath}\nURL: nar/x.nar\nCompression: none\nNarHash: ${info.narHash}\nNarSize: ${info.narSize}\nReferences: \nSig: ${sig}\n`);
    const parsed = parseNarinfo(text, "x.narinfo");
    expect(() => checkSigned(parsed, [keys.publicKey])).not.toThrow();
    expect(() => checkSigned(parsed, [other.publicKey])).toThrow(/E_BAD_SIGNATURE|no valid signature/);
    const forged = parseNarinfo(text.replace(`NarSize: ${info.narSize}`, `NarSize: ${info.narSize + 8}`), "forged.narinfo");
    expect(() => checkSigned(forged, [keys.publicKey])).toThrow(new RegExp(`${storePath} has no valid signature by a trusted key \\(trusted: cache.example-1; signatures by: cache.example-1\\)`));
    expect(() => parseNarinfo("StorePath: /tmp/x\nURL: u\nNarHash: sha256:0\nNarSize: 1\n", "bad.narinfo")).toThrow(/not a store path/);
    expect(() => parseNarinfo(text.replace(/NarSize: \d+\n/, ""), "short.narinfo")).toThrow(/short\.narinfo: the NarSize field is missing/);

    const empty = path.join(tmp, "trusting-store");
    const r = eka(empty, ["import", "--trusted-key", keys.publicKey], exported);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/E_BAD_SIGNATURE/);
    expect(eka(empty, ["ls"]).text).toBe("");
  });

  it("a path that is not a store path is a clear error, exit 1", () => {
    for (const [arg, msg] of [
      ["/etc/passwd", /'\/etc\/passwd' is not a store path: it does not start with \/nix\/store\//],
      ["/nix/store/short-x", /expected <32 nixbase32 characters>-<name>/],
      [`/nix/store/${"0".repeat(32)}-x`, /is not in the store/],
    ] as const) {
      const r = eka(good, ["path-info", arg]);
      expect(r.status, arg).toBe(1);
      expect(r.stderr).toMatch(msg);
    }
    expect(eka(good, ["add", "/nonexistent/x"]).stderr).toMatch(/no such file or directory/);
    expect(eka(good, ["add", path.join(tmp, "src"), "--name", "bad name"]).stderr).toMatch(/--name 'bad name' is not a valid store path name/);
    const u = eka(good, ["path-info"]);
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/missing PATH/);
  });
});

describe("eka store: keys, signing and narinfo", () => {
  it("keygen, sign, narinfo --trusted-key and verify --trusted-key agree; a wrong key is refused", () => {
    const store = path.join(tmp, "signing-store");
    const src = writeFixture(path.join(tmp, "sign-src"), fixtures["executables"]!);
    const p = eka(store, ["add", src]).text;
    const secret = path.join(tmp, "cache.key");
    const pub = eka(store, ["keygen", "cache.example-1", "--secret-file", secret]).text;
    expect(pub).toMatch(/^cache\.example-1:[A-Za-z0-9+/]{43}=$/);
    expect(fs.statSync(secret).mode & 0o777).toBe(0o600);
    const unsigned = eka(store, ["verify", "--trusted-key", pub]);
    expect(unsigned.status).toBe(1);
    expect(unsigned.stderr).toMatch(/E_BAD_SIGNATURE: .*no valid signature by a trusted key \(signatures by: none\)/);
    expect(eka(store, ["sign", "--key-file", secret, p]).text).toBe(p);
    expect(eka(store, ["verify", "--trusted-key", pub]).status).toBe(0);
    const narinfo = eka(store, ["narinfo", "--trusted-key", pub, p]).text;
    const parsed = parseNarinfo(narinfo, "narinfo");
    expect(parsed).toMatchObject({ storePath: p, compression: "none" });
    expect(() => checkSigned(parsed, [pub])).not.toThrow();
    const wrong = generateKeyPair("cache.example-1").publicKey;
    const r = eka(store, ["narinfo", "--trusted-key", wrong, p]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/E_BAD_SIGNATURE/);
  });
});
