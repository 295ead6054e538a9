import { describe, expect, it } from "vitest";
import { sha256 } from "@noble/hashes/sha2.js";
import {
  digestFromBytes,
  makeStorePath,
  nameProblem,
  nixbase32Decode,
  nixbase32Encode,
  parseDigest,
  parseStorePath,
  sanitizeName,
  splitStorePath,
} from "../../src/store/index.ts";

describe("nixbase32", () => {
  it("encodes as Nix does (sha256 of the empty string, as `nix hash to-base32` prints it)", () => {
    expect(nixbase32Encode(sha256(new Uint8Array(0)))).toBe("0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73");
    expect(nixbase32Encode(new Uint8Array(20))).toBe("0".repeat(32));
  });
  it("round-trips and rejects foreign characters and overflowing bits", () => {
    const bytes = Uint8Array.from({ length: 20 }, (_, i) => i * 13);
    expect(nixbase32Decode(nixbase32Encode(bytes))).toEqual(bytes);
    expect(() => nixbase32Decode("0e")).toThrow(/character 'e'/);
    expect(() => nixbase32Decode("z")).toThrow(/bits beyond/);
  });
});

describe("digests", () => {
  it("only a checked parser makes one", () => {
    expect(parseDigest("a".repeat(64))).toBe("a".repeat(64));
    expect(() => parseDigest("a".repeat(63), "pid in x.json")).toThrow(/pid in x\.json: .*not a BLAKE3 digest.*63/);
    expect(() => parseDigest("A".repeat(64))).toThrow(/E_BAD_DIGEST|not a BLAKE3/);
    expect(() => digestFromBytes(new Uint8Array(31))).toThrow(/32 bytes, got 31/);
  });
});

describe("store paths", () => {
  const hash = Uint8Array.from({ length: 32 }, (_, i) => i);
  it("are /nix/store/<first 160 bits in nixbase32>-<name>", () => {
    const p = makeStorePath(hash, "hello-2.12");
    expect(p).toBe(`/nix/store/${nixbase32Encode(hash.subarray(0, 20))}-hello-2.12`);
    expect(parseStorePath(p)).toMatchObject({ name: "hello-2.12", hashPart: p.slice(11, 43) });
  });
  it("validate names by Nix's rules", () => {
    for (const ok of ["a", "hello-1.0", "x+y_z?=.", ".hidden", "..x", "a".repeat(211)]) expect(nameProblem(ok), ok).toBeNull();
    expect(nameProblem("")).toMatch(/empty/);
    expect(nameProblem("a".repeat(212))).toMatch(/211/);
    expect(nameProblem(".")).toMatch(/'\.'/);
    expect(nameProblem("..-x")).toMatch(/'\.\.'/);
    expect(nameProblem("with space")).toMatch(/' '/);
    expect(nameProblem("ü")).toMatch(/'ü'/);
    expect(() => makeStorePath(hash, "bad/name")).toThrow(/'\/' is not allowed/);
    expect(nameProblem(sanitizeName("my file (1).txt"))).toBeNull();
  });
  it("reject what is not a store path, saying why", () => {
    expect(() => parseStorePath("/tmp/x")).toThrow(/'\/tmp\/x' is not a store path: it does not start with \/nix\/store\//);
    expect(() => parseStorePath("/nix/store/abc-x")).toThrow(/expected <32 nixbase32 characters>-<name>/);
    expect(() => parseStorePath(`/nix/store/${"e".repeat(32)}-x`)).toThrow(/hash part .* is not nixbase32/);
    expect(() => parseStorePath(`/nix/store/${"0".repeat(32)}-a b`)).toThrow(/name 'a b' is invalid/);
    expect(() => parseStorePath(`/nix/store/${"0".repeat(32)}-a/bin`)).toThrow(/names something inside one/);
    expect(splitStorePath(`/nix/store/${"0".repeat(32)}-a/bin/x`)).toEqual({ storePath: `/nix/store/${"0".repeat(32)}-a`, sub: "bin/x" });
  });
});
