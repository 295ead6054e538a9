// libsodium under eka: Ed25519 sign/verify (an RFC 8032 vector, and signatures Node's own
// crypto verifies), secretbox round trips that reject tampering, randomness from WASI, and
// three of upstream's `make check` programs against their .exp files.
import { execFileSync } from "node:child_process";
import { createPublicKey, randomBytes, verify } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PKGS, ROOT, mirror, scratch , LIBCS, withLibc } from "./helpers.ts";

const TARBALL = "d59323c6b712a1519a5daf710b68f5e7fde57040845ffec53850911f10a5d4f4";
const fromTarball = (file: string): string => execFileSync("tar", ["-xzOf", join(mirror(), "sha256", TARBALL), `libsodium-1.0.18/${file}`], { encoding: "utf8" });

/** BUF with the bits of MASK flipped in byte I. */
const flip = (buf: Buffer, i: number, mask: number): Buffer => (buf.writeUInt8(buf.readUInt8(i) ^ mask, i), buf);

/** An Ed25519 public key as Node takes it: the raw 32 bytes behind the fixed SPKI prefix. */
const ed25519Key = (hex: string) =>
  createPublicKey({ key: Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), Buffer.from(hex, "hex")]), format: "der", type: "spki" });

describe.each(LIBCS)("libsodium (libc %s)", (libc) => {
  const { build: buildPkg, run: runPkg } = withLibc(libc);
  const rt = (args: string[], cwd: string) => runPkg("libsodium", "sodiumrt", args, { cwd });
  beforeAll(async () => {
    await buildPkg("libsodium");
  }, 900_000);

  it("checks in version.h as ./configure makes it from version.h.in", () => {
    const configured = fromTarball("src/libsodium/include/sodium/version.h.in")
      .replace("@VERSION@", "1.0.18")
      .replace("@SODIUM_LIBRARY_VERSION_MAJOR@", "10")
      .replace("@SODIUM_LIBRARY_VERSION_MINOR@", "3")
      .replace("@SODIUM_LIBRARY_MINIMAL_DEF@", "");
    expect(readFileSync(join(PKGS, "libsodium/port/include/sodium/version.h"), "utf8")).toBe(configured);
  });

  it("signs RFC 8032's test 2 to the published signature and verifies it", () => {
    const dir = scratch("sodium-rfc");
    writeFileSync(join(dir, "msg"), Buffer.from([0x72]));
    const s = rt(["sign", "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", "msg", "msg.signed"], dir);
    expect(s.status).toBe(0);
    expect(s.stdout).toBe("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c\n");
    const sig = "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00";
    expect(readFileSync(join(dir, "msg.signed")).toString("hex")).toBe(`${sig}72`);
    const v = rt(["verify", "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "msg.signed", "msg.out"], dir);
    expect(v.status).toBe(0);
    expect(readFileSync(join(dir, "msg.out"))).toEqual(Buffer.from([0x72]));
  });

  it("signs a real file with a fresh key: Node verifies it, a flipped byte is refused", () => {
    const dir = scratch("sodium-sign");
    const data = readFileSync(join(ROOT, "package-lock.json"));
    writeFileSync(join(dir, "lock.json"), data);
    const seed = randomBytes(32).toString("hex");
    const s = rt(["sign", seed, "lock.json", "lock.signed"], dir);
    expect(s.status).toBe(0);
    const pk = s.stdout.trim();
    const signed = readFileSync(join(dir, "lock.signed"));
    expect(signed.length).toBe(64 + data.length);
    expect(verify(null, data, ed25519Key(pk), signed.subarray(0, 64))).toBe(true);
    expect(rt(["verify", pk, "lock.signed", "lock.out"], dir).status).toBe(0);
    expect(readFileSync(join(dir, "lock.out")).equals(data)).toBe(true);
    writeFileSync(join(dir, "forged"), flip(signed, 64 + 100, 1));
    const f = rt(["verify", pk, "forged", "forged.out"], dir);
    expect(f.status).toBe(1);
    expect(f.stderr).toContain("sodiumrt: forged: bad signature");
  });

  it("seals and opens a secretbox; tampering and a wrong key are detected", () => {
    const dir = scratch("sodium-box");
    const data = readFileSync(join(ROOT, "package.json"));
    writeFileSync(join(dir, "plain"), data);
    const key = randomBytes(32).toString("hex");
    expect(rt(["seal", key, "plain", "box"], dir).status).toBe(0);
    const box = readFileSync(join(dir, "box"));
    expect(box.length).toBe(24 + 16 + data.length);
    expect(box.includes(data.subarray(0, 16))).toBe(false);
    expect(rt(["open", key, "box", "opened"], dir).status).toBe(0);
    expect(readFileSync(join(dir, "opened")).equals(data)).toBe(true);
    // A fresh random nonce each time: the same plaintext seals differently.
    expect(rt(["seal", key, "plain", "box2"], dir).status).toBe(0);
    expect(readFileSync(join(dir, "box2")).equals(box)).toBe(false);
    writeFileSync(join(dir, "bad"), flip(box, 40, 0x80));
    const t = rt(["open", key, "bad", "x"], dir);
    expect(t.status).toBe(1);
    expect(t.stderr).toContain("sodiumrt: bad: forged or corrupted box");
    expect(rt(["open", randomBytes(32).toString("hex"), "box2", "x"], dir).status).toBe(1);
  });

  it("draws different random bytes on each run (WASI random_get)", () => {
    const dir = scratch("sodium-random");
    const a = rt(["random", "32"], dir).stdout.trim();
    const b = rt(["random", "32"], dir).stdout.trim();
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(b).toMatch(/^[0-9a-f]{64}$/);
    expect(a).not.toBe(b);
  });

  it.each(["sign", "secretbox", "secretbox_easy"])("passes upstream's %s test against its .exp", (name) => {
    const dir = scratch(`sodium-${name}`);
    writeFileSync(join(dir, `${name}.exp`), fromTarball(`test/default/${name}.exp`));
    const r = runPkg("libsodium", `test-${name}`, [], { cwd: dir });
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, `${name}.res`), "utf8")).toBe(fromTarball(`test/default/${name}.exp`));
  });
});
