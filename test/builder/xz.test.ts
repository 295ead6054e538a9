// .tar.xz sources whose integrity check is SHA-256 (xz-utils' own release tarballs are): unpacked
// by eka in TypeScript, each block checked, whatever the block and stream layout; a wrong check
// is refused. The streams are made by the real `xz`.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { packTar } from "modern-tar";
import { describe, expect, it } from "vitest";
import { unpackArchive } from "../../src/builder/archive.ts";
import { isEkaError } from "../../src/errors.ts";

const body = new Uint8Array(randomBytes(2_500_000));
const tar = async () => packTar([{ header: { name: "p-1/data.bin", size: body.length, mode: 0o644 }, body }]);
const xz = (input: Uint8Array, ...flags: string[]) => new Uint8Array(execFileSync("xz", ["-c", ...flags], { input, maxBuffer: 64 << 20 }));
const same = (a: Uint8Array | undefined, b: Uint8Array) => a !== undefined && a.length === b.length && Buffer.from(a).equals(Buffer.from(b));

describe("tar.xz with SHA-256 checks", () => {
  it("unpacks a multi-block stream, and several concatenated streams with padding between", async () => {
    const t = await tar();
    const blocks = await unpackArchive(xz(t, "--check=sha256", "--block-size=700000"), "tar.xz", "blocks");
    expect(same(blocks.readFile("data.bin"), body)).toBe(true);
    const half = t.length >> 1;
    const two = new Uint8Array([...xz(t.subarray(0, half), "--check=sha256"), 0, 0, 0, 0, ...xz(t.subarray(half), "--check=sha256")]);
    const streams = await unpackArchive(two, "tar.xz", "streams");
    expect(same(streams.readFile("data.bin"), body)).toBe(true);
  });

  it("refuses a block whose SHA-256 does not match what it decodes to", async () => {
    const bad = xz(await tar(), "--check=sha256");
    const footer = bad.length - 12;
    const indexSize = (new DataView(bad.buffer, bad.byteOffset).getUint32(footer + 4, true) + 1) * 4;
    bad[footer - indexSize - 5] = (bad[footer - indexSize - 5] as number) ^ 0xff; // inside the last block's check
    const err = await unpackArchive(bad, "tar.xz", "source 'x'").catch((e: unknown) => e);
    expect(isEkaError(err, "E_UNPACK")).toBe(true);
    expect((err as Error).message).toMatch(/source 'x': cannot unpack as tar\.xz: block 0 of the \.xz stream fails its SHA-256 check/);
  });

  it("leaves CRC64 streams (xz's default) to the decoder as before", async () => {
    const t = await unpackArchive(xz(await tar()), "tar.xz", "crc64");
    expect(same(t.readFile("data.bin"), body)).toBe(true);
  });
});
