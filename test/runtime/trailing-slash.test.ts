// Trailing slashes on symlinks, called straight through the import table (no guest needed): a
// lookup ending in '/' follows the link, but the calls that act on a name itself never do.
import { describe, expect, it } from "vitest";
import { Errno, MemoryFS, WasiHost, writeFile } from "../../src/runtime/index.ts";

function raw() {
  const fs = new MemoryFS();
  fs.mkdir("d");
  writeFile(fs, "f", new TextEncoder().encode("x"));
  fs.symlink("d", "dlink");
  fs.symlink("f", "flink");
  const host = new WasiHost({ args: ["t"], preopens: [{ guest: "/sb", fs }] });
  const memory = new WebAssembly.Memory({ initial: 1 });
  host.setMemory(memory);
  const u8 = new Uint8Array(memory.buffer);
  const calls = host.imports.wasi_snapshot_preview1 as Record<string, (...a: unknown[]) => number>;
  let next = 1024;
  const str = (s: string): [number, number] => {
    const b = new TextEncoder().encode(s);
    u8.set(b, next);
    next += b.length + 8;
    return [next - b.length - 8, b.length];
  };
  return { fs, u8, call: (name: string, ...args: unknown[]) => (calls[name] as (...a: unknown[]) => number)(...args), str };
}

describe("trailing slash on a symlink", () => {
  it("rmdir, unlink, rename and mkdir act on the link itself and refuse", () => {
    const { fs, call, str } = raw();
    expect(call("path_remove_directory", 3, ...str("dlink/"))).toBe(Errno.NOTDIR);
    expect(fs.stat("d").kind).toBe("dir");
    expect(call("path_unlink_file", 3, ...str("flink/"))).toBe(Errno.NOTDIR);
    expect(fs.stat("flink").kind).toBe("symlink");
    expect(call("path_rename", 3, ...str("flink/"), 3, ...str("moved"))).toBe(Errno.NOTDIR);
    expect(call("path_create_directory", 3, ...str("dlink/"))).toBe(Errno.EXIST);
    expect(call("path_unlink_file", 3, ...str("dlink"))).toBe(0);
    expect(fs.stat("d").kind).toBe("dir");
  });
  it("a lookup ending in '/' follows the link even without SYMLINK_FOLLOW", () => {
    const { u8, call, str } = raw();
    expect(call("path_filestat_get", 3, 0, ...str("dlink/"), 0)).toBe(0);
    expect(u8[16]).toBe(3); // filetype: directory
    expect(call("path_filestat_get", 3, 0, ...str("dlink"), 0)).toBe(0);
    expect(u8[16]).toBe(7); // symbolic link
    expect(call("path_filestat_get", 3, 0, ...str("flink/"), 0)).toBe(Errno.NOTDIR);
    expect(call("path_open", 3, 0, ...str("dlink/"), 0, 1n << 14n, 0n, 0, 0)).toBe(0);
    expect(call("path_open", 3, 0, ...str("dlink"), 0, 2n, 0n, 0, 0)).toBe(Errno.LOOP);
  });
});
