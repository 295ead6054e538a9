// The seed's sysroot cache: unpacked once, atomically, with leftovers of a crashed unpack cleaned up.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isEkaError } from "../../../src/errors.ts";
import { seedFiles } from "../../../src/bootstrap/seed.node.ts";
import { sysrootDir } from "../../../src/toolchains/clang/seed.node.ts";

describe("seed sysroot cache", () => {
  const cache = mkdtempSync(join(tmpdir(), "eka-seed-cache-"));
  const saved = { ...process.env };
  afterAll(() => {
    process.env = saved;
    rmSync(cache, { recursive: true, force: true });
  });

  it("unpacks once under a temp name, renames it into place and cleans a crashed unpack's leftovers", async () => {
    process.env.EKA_CACHE = cache;
    // A dead process's half-written unpack (pid 2^22+1 is above Linux's pid limit).
    const leftover = join(cache, ".seed-0123abcd.tmp-4194305-xyz");
    mkdirSync(join(leftover, "usr/include"), { recursive: true });
    writeFileSync(join(leftover, "usr/include/half.h"), "");

    const usr = await sysrootDir(seedFiles().resources);
    expect(usr.startsWith(join(cache, "seed-"))).toBe(true);
    expect(existsSync(join(usr, "include/wasm32-wasip1/stdio.h"))).toBe(true);
    expect(existsSync(join(usr, "lib/wasm32-wasip1/libc.a"))).toBe(true);
    expect(existsSync(join(usr, "..", ".complete"))).toBe(true);
    expect(existsSync(leftover)).toBe(false);
    expect(readdirSync(cache).filter((n) => n.includes(".tmp-"))).toEqual([]);
    // Second use in the same process: the same directory, no new unpack.
    expect(await sysrootDir(seedFiles().resources)).toBe(usr);
  });

  it("names the missing seed file and the fix", () => {
    process.env.EKA_SEED_DIR = join(cache, "nowhere");
    let err: unknown;
    try {
      seedFiles();
    } catch (e) {
      err = e;
    }
    expect(isEkaError(err, "E_SEED_MISSING")).toBe(true);
    expect((err as Error).message).toContain(join(cache, "nowhere", "llvm.core.wasm"));
    expect((err as Error).message).toContain("EKA_SEED_DIR");
    delete process.env.EKA_SEED_DIR;
  });
});
