// Sandbox escapes: '..' past the root, absolute paths, symlinks (absolute, relative, chains, made
// by the guest or found on the host disk), rename/link across preopens. Each must fail with the
// errno named here, and nothing outside may be read or written.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Errno, MemoryFS, OverlayFS, ReadOnlyFS, writeFile, type FileSystem } from "../../src/runtime/index.ts";
import { NodeDirFS } from "../../src/runtime/nodefs.node.ts";
import { WasiHost } from "../../src/runtime/wasi.ts";
import { probeModule, runProbe, wat } from "./helpers.ts";

const E = Errno;
let root: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "eka-sandbox-"));
  await probeModule();
}, 300_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const expected = {
  dotdot: E.NOTCAPABLE, dotdot_deep: E.NOTCAPABLE, dotdot_inside: 0, absolute: E.NOTCAPABLE,
  abs_link: E.NOTCAPABLE, abs_link_lstat: 0, rel_link: E.NOTCAPABLE, chain: E.NOTCAPABLE,
  chain_stat: E.NOTCAPABLE, dir_link_inside: 0, dir_link_out: E.NOTCAPABLE, up_link_inside: 0,
  up_link_out: E.NOTCAPABLE, create_through_out: E.NOTCAPABLE, mkdir_out: E.NOTCAPABLE,
  rename_out: E.NOTCAPABLE, rename_xdev: E.XDEV, link_out: E.NOTCAPABLE, link_xdev: E.XDEV,
  unlink_out: E.NOTCAPABLE, symlink_out_dir: E.NOTCAPABLE, subfd_dotdot: E.NOTCAPABLE, subfd_in: 0,
  // wasi-libc maps '/sb/../x' to the /sb preopen and gets NOTCAPABLE; an absolute path under no
  // preopen never reaches the host (ENOENT from libc).
  libc_dotdot: E.NOTCAPABLE, libc_absolute: E.NOENT,
};

describe.each([
  ["MemoryFS", () => new MemoryFS()],
  [
    "NodeDirFS",
    () => {
      const d = join(root, "sb-" + Math.random().toString(36).slice(2));
      mkdirSync(d);
      return new NodeDirFS(d);
    },
  ],
  ["OverlayFS", () => new OverlayFS(new ReadOnlyFS(new MemoryFS()), new MemoryFS())],
] as [string, () => FileSystem][])("escape attempts on %s", (_name, make) => {
  it("all fail with the right errno and the inside still works", async () => {
    writeFileSync(join(root, "outside.txt"), "secret");
    const r = await runProbe(["escape"], make());
    expect(r.exitCode).toBe(0);
    const got = Object.fromEntries(Object.keys(expected).map((k) => [k, Number(r.values[k])]));
    expect(got).toEqual(expected);
    expect(readFileSync(join(root, "outside.txt"), "utf8")).toBe("secret");
    for (const f of ["stolen.txt", "linked.txt", "newdir", "evil"]) expect(existsSync(join(root, f))).toBe(false);
  });
});

describe("a preopen of a subdirectory", () => {
  it("confines to that subdirectory, not to its file system's root", async () => {
    const fs = new MemoryFS();
    writeFile(fs, "outside.txt", new TextEncoder().encode("secret"));
    fs.mkdir("inner");
    const r = await runProbe(["escape"], fs, undefined, { preopens: [{ guest: "/sb", fs, path: "inner" }, { guest: "/other", fs: new MemoryFS() }] });
    const got = Object.fromEntries(Object.keys(expected).map((k) => [k, Number(r.values[k])]));
    expect(got).toEqual(expected);
    expect(fs.stat("inner/sub/in.txt").kind).toBe("file");
  });
});

describe("symlinks already on the host disk", () => {
  it("cannot lead out of a NodeDirFS, however they point", async () => {
    const sb = join(root, "disk");
    mkdirSync(join(sb, "sub"), { recursive: true });
    writeFileSync(join(root, "outside2.txt"), "secret");
    symlinkSync("/etc/passwd", join(sb, "etc_passwd"));
    symlinkSync(join(root, "outside2.txt"), join(sb, "abs_out"));
    symlinkSync("../outside2.txt", join(sb, "rel_out"));
    symlinkSync("../../outside2.txt", join(sb, "sub", "deep_out"));
    symlinkSync("..", join(sb, "parent"));
    symlinkSync("sub", join(sb, "to_sub"));
    writeFileSync(join(sb, "sub", "ok.txt"), "fine");
    const fs = new NodeDirFS(sb);
    const open = (path: string) => runPathOpen(fs, path);
    expect(await open("etc_passwd")).toBe(E.NOTCAPABLE);
    expect(await open("abs_out")).toBe(E.NOTCAPABLE);
    expect(await open("rel_out")).toBe(E.NOTCAPABLE);
    expect(await open("sub/deep_out")).toBe(E.NOTCAPABLE);
    expect(await open("parent/outside2.txt")).toBe(E.NOTCAPABLE);
    expect(await open("to_sub/ok.txt")).toBe(0);
    expect(await open("to_sub/../sub/ok.txt")).toBe(0);
  });
});

describe("path bytes", () => {
  it("a NUL byte or invalid UTF-8 in a path is EILSEQ; an empty path is ENOENT", async () => {
    const fs = new MemoryFS();
    expect(await runPathOpen(fs, "a\0b")).toBe(E.ILSEQ);
    expect(await runPathOpen(fs, new Uint8Array([0x61, 0xff, 0x62]))).toBe(E.ILSEQ);
    expect(await runPathOpen(fs, "")).toBe(E.NOENT);
  });
  it("a pointer outside memory is EFAULT, not a host crash", async () => {
    const mod = await wat(`(module
      (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (global (export "result") (mut i32) (i32.const -1))
      (func (export "_start")
        (global.set 0 (call $open (i32.const 3) (i32.const 1) (i32.const 65530) (i32.const 100) (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 0)))))`);
    const host = new WasiHost({ args: ["t"], preopens: [{ guest: "/sb", fs: new MemoryFS() }] });
    const inst = await WebAssembly.instantiate(mod, host.imports);
    host.start(inst);
    expect((inst.exports.result as WebAssembly.Global).value).toBe(E.FAULT);
  });
});

/** Calls path_open(fd 3, SYMLINK_FOLLOW, path) from a WAT guest and returns the errno. */
async function runPathOpen(fs: FileSystem, path: string | Uint8Array): Promise<number> {
  const bytes = typeof path === "string" ? new TextEncoder().encode(path) : path;
  const data = [...bytes].map((b) => "\\" + b.toString(16).padStart(2, "0")).join("");
  const mod = await wat(`(module
    (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 64) "${data}")
    (global (export "result") (mut i32) (i32.const -1))
    (func (export "_start")
      (global.set 0 (call $open (i32.const 3) (i32.const 1) (i32.const 64) (i32.const ${bytes.length}) (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 0)))))`);
  const host = new WasiHost({ args: ["t"], preopens: [{ guest: "/sb", fs }] });
  const inst = await WebAssembly.instantiate(mod, host.imports);
  host.start(inst);
  return (inst.exports.result as WebAssembly.Global).value as number;
}
