// Robustness: every syscall called with random arguments (wild pointers, huge sizes, bad fds,
// random flags) answers with an errno — never a host exception, never a hang. FUZZ_SEED and FUZZ_N
// run other or longer sequences.
import { describe, expect, it } from "vitest";
import { MemoryFS, WasiHost, writeFile } from "../../src/runtime/index.ts";
import { SYSCALL_NAMES } from "../../src/runtime/wasi.ts";

// Which parameters are i64 (bigint); the rest are i32.
const SIGNATURES: Record<string, string> = {
  args_get: "ii", args_sizes_get: "ii", environ_get: "ii", environ_sizes_get: "ii", clock_res_get: "ii",
  clock_time_get: "iIi", random_get: "ii", sched_yield: "", proc_raise: "i", fd_advise: "iIIi",
  fd_allocate: "iII", fd_close: "i", fd_datasync: "i", fd_sync: "i", fd_fdstat_get: "ii",
  fd_fdstat_set_flags: "ii", fd_fdstat_set_rights: "iII", fd_filestat_get: "ii", fd_filestat_set_size: "iI",
  fd_filestat_set_times: "iIIi", fd_pread: "iiiIi", fd_pwrite: "iiiIi", fd_read: "iiii", fd_write: "iiii",
  fd_prestat_get: "ii", fd_prestat_dir_name: "iii", fd_readdir: "iiiIi", fd_renumber: "ii", fd_seek: "iIii",
  fd_tell: "ii", path_create_directory: "iii", path_filestat_get: "iiiii", path_filestat_set_times: "iiiiIIi",
  path_link: "iiiiiii", path_open: "iiiiiIIii", path_readlink: "iiiiii", path_remove_directory: "iii",
  path_rename: "iiiiii", path_symlink: "iiiii", path_unlink_file: "iii", poll_oneoff: "iiii",
  sock_accept: "iii", sock_recv: "iiiiii", sock_send: "iiiii", sock_shutdown: "ii",
};

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

describe("syscall fuzz", () => {
  it("20,000 random calls give errnos only", () => {
    const fs = new MemoryFS();
    writeFile(fs, "a/b.txt", new TextEncoder().encode("hello"));
    fs.symlink("a/b.txt", "ln");
    fs.symlink("../../x", "a/out");
    const host = new WasiHost({ args: ["fuzz", "x"], env: { K: "V" }, preopens: [{ guest: "/sb", fs }], deterministic: { seed: 1 }, stdin: new Uint8Array(10), limits: { maxOutputBytes: 1 << 20 } });
    const memory = new WebAssembly.Memory({ initial: 1 });
    host.setMemory(memory);
    const u8 = new Uint8Array(memory.buffer);
    const strings = ["a/b.txt", "ln", "a", "a/out", "../x", "/abs", "new", "a/new/", "", "a//b.txt/"];
    strings.forEach((str, i) => u8.set(new TextEncoder().encode(str), 60000 + i * 64));
    const r = rng(Number(process.env.FUZZ_SEED ?? 12345));
    const int = (): number => {
      const k = r();
      if (k < 0.3) return Math.floor(r() * 8);
      if (k < 0.5) return 60000 + Math.floor(r() * strings.length) * 64;
      if (k < 0.6) return Math.floor(r() * 12);
      if (k < 0.8) return Math.floor(r() * 65536);
      return Math.floor(r() * 2 ** 32) | 0;
    };
    const big = (): bigint => {
      const k = r();
      if (k < 0.4) return BigInt(Math.floor(r() * 4096));
      if (k < 0.6) return 0n;
      if (k < 0.8) return -BigInt(Math.floor(r() * 100));
      return BigInt.asIntN(64, BigInt(Math.floor(r() * 2 ** 53)) << 11n);
    };
    const calls = host.imports.wasi_snapshot_preview1 as Record<string, (...a: unknown[]) => number>;
    const names = Object.keys(SIGNATURES);
    expect(new Set(Object.keys(calls))).toEqual(new Set(names.concat("proc_exit")));
    // checkImports accepts exactly what the table provides.
    expect(new Set(SYSCALL_NAMES)).toEqual(new Set(Object.keys(calls)));
    const seen = new Map<number, number>();
    for (let i = 0; i < Number(process.env.FUZZ_N ?? 20_000); i++) {
      const name = names[Math.floor(r() * names.length)] as string;
      const sig = SIGNATURES[name] as string;
      // Random bytes at random places, so structs and iovecs are random too.
      for (let k = 0; k < 8; k++) u8[Math.floor(r() * 59000)] = Math.floor(r() * 256);
      const args = [...sig].map((t) => (t === "I" ? big() : int()));
      let result: number;
      try {
        result = calls[name]?.(...args) as number;
      } catch (e) {
        throw new Error(`${name}(${args.join(", ")}) threw ${e instanceof Error ? e.stack : String(e)}`);
      }
      expect(Number.isInteger(result) && result >= 0 && result <= 76, `${name} returned ${result}`).toBe(true);
      seen.set(result, (seen.get(result) ?? 0) + 1);
    }
    // The calls reached real work, not only argument checks.
    expect(seen.get(0) ?? 0).toBeGreaterThan(1000);
  });
});
