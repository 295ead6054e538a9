// Each syscall group through a real C program (programs/probe.c, compiled by the seed clang on our
// host), on every file system implementation: they must agree.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Errno, MemoryFS, OverlayFS, type FileSystem, writeFile } from "../../src/runtime/index.ts";
import { NodeDirFS } from "../../src/runtime/nodefs.node.ts";
import { probeModule, runProbe } from "./helpers.ts";

const E = Errno;
const dirs: string[] = [];
function hostDir(): string {
  const d = mkdtempSync(join(tmpdir(), "eka-rt-"));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
beforeAll(async () => {
  await probeModule();
}, 300_000);

const filesystems: [string, () => FileSystem][] = [
  ["MemoryFS", () => new MemoryFS()],
  ["NodeDirFS", () => new NodeDirFS(hostDir())],
  [
    "OverlayFS",
    () => {
      const lower = new MemoryFS();
      writeFile(lower, "lower-only.txt", new TextEncoder().encode("from below"));
      return new OverlayFS(lower, new MemoryFS());
    },
  ],
];

describe.each(filesystems)("files and directories on %s", (_name, make) => {
  let v: Record<string, string>;
  beforeAll(async () => {
    const r = await runProbe(["files"], make());
    expect(new TextDecoder().decode(r.stderr)).toBe("");
    expect(r.exitCode).toBe(0);
    v = r.values;
  });

  it("append mode writes at the end whatever the offset", () => {
    expect(v.append_flag).toBe("1");
    expect(v.append_size).toBe("3");
  });
  it("pread/pwrite leave the offset alone; seeks and gaps behave like POSIX", () => {
    expect(v.pread).toBe("aZc");
    expect(v.tell_after_p).toBe("0");
    expect(v.seek_end).toBe("3");
    expect(v.seek_neg).toBe(String(E.INVAL));
    expect(v.gap_zero).toBe("1");
    expect(v.truncated).toBe("2");
    expect([v.allocate, v.allocated]).toEqual(["0", "100"]);
  });
  it("open flags: EXCL, TRUNC, DIRECTORY, trailing slash, missing parents", () => {
    expect(v.excl).toBe(String(E.EXIST));
    expect(v.trunc).toBe("0");
    expect(v.o_directory_on_file).toBe(String(E.NOTDIR));
    expect(v.write_dir).toBe(String(E.ISDIR));
    expect(v.trailing_slash_file).toBe(String(E.NOTDIR));
    expect(v.trailing_slash_dir).toBe("0");
    expect(v.missing).toBe(String(E.NOENT));
    expect(v.missing_parent).toBe(String(E.NOENT));
    expect(v.file_as_dir).toBe(String(E.NOTDIR));
    expect(v.creat_dir_flag).toBe(String(E.INVAL));
  });
  it("rights: read-only fds refuse writes, rights only shrink", () => {
    expect(v.write_readonly).toBe(String(E.BADF));
    expect(v.rights_add).toBe(String(E.NOTCAPABLE));
    expect(v.rights_drop).toBe("0");
    expect(v.write_after_drop).toBe(String(E.BADF));
  });
  it("unlink, rmdir, mkdir and rename follow POSIX errors", () => {
    expect(v.unlink_dir).toBe(String(E.ISDIR));
    expect(v.rmdir_nonempty).toBe(String(E.NOTEMPTY));
    expect(v.rmdir_file).toBe(String(E.NOTDIR));
    expect(v.mkdir_exists).toBe(String(E.EXIST));
    expect(v.rename_file_over_dir).toBe(String(E.ISDIR));
    expect(v.rename_dir_over_nonempty).toBe(String(E.NOTEMPTY));
    expect(v.rename_dir_into_self).toBe(String(E.INVAL));
    expect([v.rename_replace, v.renamed, v.rename_gone]).toEqual(["0", "one", String(E.NOENT)]);
  });
  it("hard links share one file", () => {
    expect([v.link, v.nlink, v.same_ino]).toEqual(["0", "2", "1"]);
    expect(v.link_dir).toBe(String(E.PERM));
    expect(v.link_exists).toBe(String(E.EXIST));
  });
  it("symlinks: readlink, follow/nofollow, dangling, loops", () => {
    expect([v.symlink, v.readlink, v.readlink_short]).toEqual(["0", "r2", "1"]);
    expect(v.readlink_file).toBe(String(E.INVAL));
    expect([v.lstat_is_link, v.stat_follows]).toEqual(["1", "1"]);
    expect(v.nofollow_open).toBe(String(E.LOOP));
    expect(v.dangling_open).toBe(String(E.NOENT));
    expect([v.dangling_creat, v.dangling_target_made]).toEqual(["1", "0"]);
    expect(v.loop).toBe(String(E.LOOP));
    expect(v.symlink_exists).toBe(String(E.EXIST));
    expect(v.unlink_symlink).toBe("0");
  });
  it("timestamps are set to the nanosecond, OMIT keeps a time, ATIM with ATIM_NOW is invalid", () => {
    expect([v.utimens, v.atime, v.mtime]).toEqual(["0", "1000", "2000"]);
    expect(v.mtime_ns).toBe("7");
    expect([v.atime_kept, v.mtime2]).toEqual(["1000", "3000"]);
    expect(v.times_both).toBe(String(E.INVAL));
  });
  it("fd_renumber, fd_close, sync, advise", () => {
    expect([v.renumber, v.renumbered_reads, v.renumber_closed, v.renumber_bad]).toEqual(["0", "one", String(E.BADF), String(E.BADF)]);
    expect(v.close_bad).toBe(String(E.BADF));
    expect(v.sync).toBe("0");
    expect([v.advise, v.advise_bad]).toEqual(["0", String(E.INVAL)]);
  });
});

describe.each(filesystems)("fd_readdir on %s", (_name, make) => {
  it("lists . and .. and every entry once, resuming by cookie through a small buffer", async () => {
    const r = await runProbe(["readdir"], make());
    expect(r.exitCode).toBe(0);
    expect(r.values).toMatchObject({ raw_entries: "40", raw_dots: "2", raw_calls_gt_1: "1", libc_entries: "42", libc_rewind: "42", dirent_types: "3" });
  });
});

describe("poll_oneoff", () => {
  it("waits for the earliest of several clocks, reports ready fds at once, flags bad fds", async () => {
    const r = await runProbe(["poll"], new MemoryFS());
    const v = r.values;
    expect([v.poll_clocks, v.poll_clocks_n, v.poll_clocks_first]).toEqual(["0", "1", "22"]);
    expect(Number(v.poll_slept_ms)).toBeGreaterThanOrEqual(19);
    // Generous: a loaded machine oversleeps; waking at the earlier clock is shown by n and userdata.
    expect(Number(v.poll_slept_ms)).toBeLessThan(1000);
    expect([v.poll_fds, v.poll_fds_n, v.poll_fd_user, v.poll_fd_nbytes, v.poll_fd_type, v.poll_w_user]).toEqual(["0", "2", "33", "5", "1", "44"]);
    expect(v.poll_badfd_error).toBe(String(E.BADF));
    expect(v.poll_zero).toBe(String(E.INVAL));
    expect(v.poll_abs_past).toBe("1");
  });
  it("in deterministic mode sleeping advances the virtual clock instead of waiting", async () => {
    const r = await runProbe(["poll"], new MemoryFS(), undefined, { deterministic: { epochNs: 0n } });
    expect(r.values.poll_clocks_first).toBe("22");
    // Exactly the 20 ms asked for (plus nothing): the virtual clock jumped instead of sleeping.
    expect(Number(r.values.poll_slept_ms)).toBe(20);
  });
});

describe("clocks, random, process, sockets, prestat", () => {
  it("answers with the spec's errnos", async () => {
    const r = await runProbe(["misc"], new MemoryFS());
    const v = r.values;
    expect([v.clock_res, v.clock_res_value, v.clock_bad]).toEqual(["0", "1000", String(E.INVAL)]);
    expect(Math.abs(Number(v.realtime_s) - Date.now() / 1000)).toBeLessThan(60);
    expect(v.monotonic_advances).toBe("1");
    expect([v.sched_yield, v.proc_raise]).toEqual(["0", String(E.NOSYS)]);
    expect([v.sock_accept_file, v.sock_accept_bad, v.sock_shutdown, v.sock_send, v.sock_recv]).toEqual([
      String(E.NOTSOCK), String(E.BADF), String(E.NOTSOCK), String(E.NOTSOCK), String(E.NOTSOCK),
    ]);
    expect([v.prestat, v.prestat_len, v.prestat_name_short, v.prestat_not_preopen]).toEqual(["0", "3", String(E.NAMETOOLONG), String(E.BADF)]);
  });
  it("deterministic mode: time from SOURCE_DATE_EPOCH, the same random bytes for the same seed", async () => {
    const det = { deterministic: { epochNs: 1_700_000_000n * 1_000_000_000n, seed: 42 } };
    const a = await runProbe(["misc"], new MemoryFS(), undefined, det);
    const b = await runProbe(["misc"], new MemoryFS(), undefined, det);
    const c = await runProbe(["misc"], new MemoryFS(), undefined, { deterministic: { seed: 43 } });
    expect(a.values.realtime_s).toBe("1700000000");
    expect(a.values.time_s).toBe("1700000000");
    expect(a.text).toBe(b.text);
    expect(a.values.random_hex).not.toBe(c.values.random_hex);
    const real = await runProbe(["misc"], new MemoryFS());
    const real2 = await runProbe(["misc"], new MemoryFS());
    expect(real.values.random_hex).not.toBe(real2.values.random_hex);
  });
});
