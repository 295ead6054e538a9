/**
 * The WASI preview1 host: every wasi_snapshot_preview1 function, over the virtual file systems
 * in fs.ts. The syscall table is one flat object keyed by the WASI names; each entry decodes its
 * pointers, calls a descriptor and returns an errno. Path confinement is `resolvePath`, the one
 * function every path-taking call goes through.
 */
import { EkaError } from "../errors.ts";
import {
  ClockId, Errno, EVENTRW_HANGUP, EventType, FdFlags, Filetype, FstFlags, LookupFlags, OFlags, Rights, SIZEOF,
  SUBCLOCK_ABSTIME, type Subscription, encodeDirent, readSubscription, writeEvent, writeFdstat, writeFilestat,
  writePrestatDir,
} from "./abi.ts";
import {
  ALL_RIGHTS, DIR_RIGHTS, type Descriptor, DirDescriptor, FILE_RIGHTS, FileDescriptor, OutputDescriptor,
  StdinDescriptor, filestatOf,
} from "./descriptors.ts";
import { type FileSystem, FsError, type Stat, baseName, joinPath, normalizePath, parentOf } from "./fs.ts";
import { type Clock, RealClock, VirtualClock, cryptoRandom, seededRandom } from "./clock.ts";
import type { RunOptions, RunResult } from "./options.ts";
import { functionNames, stackFrames } from "./trap.ts";
import { concatBytes } from "../util/bytes.ts";

const MAX_SYMLINKS = 40;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Thrown by proc_exit to unwind the guest; caught by `start`. */
class WasiExit {
  constructor(readonly code: number) {}
}

/**
 * One guest process. `imports` goes to `WebAssembly.instantiate`; `start(instance)` runs `_start`
 * synchronously and returns the result. A worker (which can be terminated) is the place to run
 * it when a wall-time limit is needed.
 */
export class WasiHost {
  readonly imports: WebAssembly.Imports;
  private readonly fds: (Descriptor | undefined)[] = [];
  private memory: WebAssembly.Memory | undefined;
  private view: { buf: ArrayBuffer; u8: Uint8Array; dv: DataView } | undefined;
  private readonly args: Uint8Array[];
  private readonly env: Uint8Array[];
  private readonly out: Uint8Array[] = [];
  private readonly err: Uint8Array[] = [];
  private outputBytes = 0;
  private readonly clock: Clock;
  private readonly random: (buf: Uint8Array) => void;

  constructor(readonly opts: RunOptions) {
    const env = { ...opts.env };
    if (opts.cwd !== undefined) env.PWD = opts.cwd;
    this.args = opts.args.map((a) => encoder.encode(a + "\0"));
    this.env = Object.entries(env).map(([k, v]) => encoder.encode(`${k}=${v}\0`));
    this.clock = opts.deterministic ? new VirtualClock(opts.deterministic.epochNs ?? 0n) : new RealClock();
    this.random = opts.deterministic ? seededRandom(opts.deterministic.seed ?? 0) : cryptoRandom;
    this.fds.push(new StdinDescriptor(opts.stdin, opts.tty?.stdin));
    this.fds.push(new OutputDescriptor(this.sink(opts.stdout, this.out), opts.tty?.stdout));
    this.fds.push(new OutputDescriptor(this.sink(opts.stderr, this.err), opts.tty?.stderr));
    const preopens = [...(opts.preopens ?? [])];
    for (const p of preopens) {
      let path = "";
      let kind = "";
      try {
        path = normalizePath(p.path ?? "");
        kind = p.fs.stat(path).kind;
      } catch (e) {
        throw new EkaError("E_WASI_PREOPEN", `preopen '${p.guest}': ${e instanceof Error ? e.message : String(e)}`);
      }
      if (kind !== "dir") throw new EkaError("E_WASI_PREOPEN", `preopen '${p.guest}' is not a directory`);
      this.fds.push(new DirDescriptor(p.fs, path, DIR_RIGHTS, ALL_RIGHTS, p.guest));
    }
    if (opts.cwd !== undefined) this.addCwdPreopen(opts.cwd);
    this.imports = { wasi_snapshot_preview1: this.table() };
  }

  /** Runs `_start` (a command) and returns how it ended. */
  start(instance: WebAssembly.Instance): RunResult {
    const memory = instance.exports.memory ?? this.memory;
    if (!(memory instanceof WebAssembly.Memory)) throw new EkaError("E_WASM_NOT_COMMAND", "the module exports no memory named 'memory'; it is not a WASI command");
    this.memory = memory;
    const start = instance.exports._start;
    if (typeof start !== "function") throw new EkaError("E_WASM_NOT_COMMAND", "the module exports no '_start'; it is not a WASI command");
    let exitCode = 0;
    this.checkMemory();
    try {
      (start as () => void)();
    } catch (e) {
      if (e instanceof WasiExit) exitCode = e.code;
      else throw this.translate(e);
    } finally {
      for (const d of this.fds) {
        try {
          d?.close();
        } catch {
          // closing is best effort once the guest has ended
        }
      }
    }
    this.checkMemory();
    return { exitCode, stdout: concatBytes(this.out), stderr: concatBytes(this.err) };
  }

  /** Sets the memory for a module that imports it instead of exporting it. */
  setMemory(memory: WebAssembly.Memory): void {
    this.memory = memory;
  }

  private module: WebAssembly.Module | undefined;
  /** Lets trap messages name functions from the module's name section. */
  setModule(module: WebAssembly.Module): void {
    this.module = module;
  }

  private sink(cb: ((b: Uint8Array) => void) | undefined, into: Uint8Array[]): (b: Uint8Array) => void {
    const max = this.opts.limits?.maxOutputBytes ?? Infinity;
    return (b) => {
      this.outputBytes += b.length;
      if (this.outputBytes > max) {
        throw new EkaError("E_WASM_OUTPUT_LIMIT", `the program wrote more than ${max} bytes to stdout/stderr; raise limits.maxOutputBytes or make it quieter`);
      }
      // The chunk is a view of guest memory, which the guest reuses: copy it.
      if (cb) cb(b.slice());
      else into.push(b.slice());
    };
  }

  private addCwdPreopen(cwd: string): void {
    if (!cwd.startsWith("/")) throw new EkaError("E_WASI_CWD", `cwd '${cwd}' must be an absolute guest path`);
    let best: DirDescriptor | undefined;
    let rest = "";
    for (const d of this.fds) {
      if (!(d instanceof DirDescriptor) || d.preopenName === undefined) continue;
      const name = "/" + normalizePath(d.preopenName.replace(/^\/+/, ""));
      if (name === "/") return; // a root preopen already receives relative paths
      const prefix = name + "/";
      if ((cwd === name || cwd.startsWith(prefix)) && (!best || name.length > (best.preopenName ?? "").length)) {
        best = d;
        rest = cwd === name ? "" : cwd.slice(prefix.length);
      }
    }
    if (!best) throw new EkaError("E_WASI_CWD", `cwd '${cwd}' is not inside any preopened directory`);
    let path: string;
    try {
      path = joinPath(best.path, normalizePath(rest));
      if (best.fs.stat(path).kind !== "dir") throw new FsError("NOTDIR", "not a directory");
    } catch (e) {
      throw new EkaError("E_WASI_CWD", `cwd '${cwd}': ${e instanceof Error ? e.message : String(e)}`);
    }
    this.fds.push(new DirDescriptor(best.fs, path, DIR_RIGHTS, ALL_RIGHTS, "."));
  }

  private mem(): { u8: Uint8Array; dv: DataView } {
    const memory = this.memory;
    if (!memory) throw new EkaError("E_WASM_NOT_COMMAND", "WASI call before the host knew the guest memory");
    const buf = memory.buffer as ArrayBuffer;
    let v = this.view;
    if (!v || v.buf !== buf) v = this.view = { buf, u8: new Uint8Array(buf), dv: new DataView(buf) };
    return v;
  }

  private checkMemory(): void {
    const max = this.opts.limits?.maxMemoryBytes;
    if (max !== undefined && this.memory && this.memory.buffer.byteLength > max) {
      throw new EkaError("E_WASM_MEMORY_LIMIT", `the program grew its memory to ${this.memory.buffer.byteLength} bytes, above the limit of ${max}`);
    }
  }

  private bytes(ptr: number, len: number): Uint8Array {
    const { u8 } = this.mem();
    if (ptr + len > u8.length) throw new FsError("FAULT", "pointer out of bounds");
    return u8.subarray(ptr, ptr + len);
  }

  private str(ptr: number, len: number): string {
    const b = this.bytes(ptr, len);
    if (b.includes(0)) throw new FsError("ILSEQ", "NUL byte in a path");
    try {
      return decoder.decode(b);
    } catch {
      throw new FsError("ILSEQ", "path is not valid UTF-8");
    }
  }

  private iovs(ptr: number, count: number): Uint8Array[] {
    const { u8, dv } = this.mem();
    const out: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const p = ptr + i * SIZEOF.iovec;
      const buf = dv.getUint32(p, true);
      const len = dv.getUint32(p + 4, true);
      if (buf + len > u8.length) throw new FsError("FAULT", "iovec out of bounds");
      out.push(u8.subarray(buf, buf + len));
    }
    return out;
  }

  /** The descriptor `fd` if it has `rights` (missing read/write rights are BADF, as POSIX has it). */
  private withFd(fd: number, rights: bigint = 0n): Descriptor {
    const d = this.fds[fd];
    if (!d) throw new FsError("BADF", `bad fd ${fd}`);
    if ((d.rightsBase & rights) !== rights) {
      throw new FsError(rights & (Rights.FD_READ | Rights.FD_WRITE) ? "BADF" : "NOTCAPABLE");
    }
    return d;
  }

  private dirFd(fd: number, rights: bigint): DirDescriptor {
    const d = this.withFd(fd, 0n);
    if (!(d instanceof DirDescriptor)) throw new FsError("NOTDIR", `fd ${fd} is not a directory`);
    if ((d.rightsBase & rights) !== rights) throw new FsError("NOTCAPABLE");
    return d;
  }

  /**
   * THE confinement function. Resolves `raw` (a guest path relative to the directory `dir`) to a
   * path inside `dir.fs` that lies within `dir`: '..' past `dir`, absolute paths and symlinks whose
   * target (after any chain) leaves `dir` fail with NOTCAPABLE; more than 40 symlinks, LOOP.
   * Symlinks in the middle are always followed. The last one: "follow" follows it, "nofollow"
   * only when the path ends in '/' (POSIX lookup), "never" not at all (the calls that act on the
   * name itself: mkdir, rmdir, unlink, rename, symlink, readlink, a link's new name). A path
   * ending in '/', '.' or '..' sets `dirOnly`.
   */
  private resolvePath(dir: DirDescriptor, raw: string, final: FinalLink): Resolved {
    if (raw === "") throw new FsError("NOENT", "empty path");
    if (raw.startsWith("/")) throw new FsError("NOTCAPABLE", `absolute path '${raw}'`);
    const fs = dir.fs;
    const stack: string[] = [];
    const pending = raw.split("/").reverse();
    const last = raw.lastIndexOf("/");
    const tail = raw.slice(last + 1);
    const dirOnly = tail === "" || tail === "." || tail === "..";
    let links = 0;
    // The last component's lstat when resolution already took it (null: it does not exist).
    let last_: Stat | null | undefined;
    while (pending.length) {
      const c = pending.pop() as string;
      if (c === "" || c === ".") continue;
      if (c === "..") {
        if (!stack.length) throw new FsError("NOTCAPABLE", `'${raw}' leads outside its directory`);
        stack.pop();
        continue;
      }
      const isLast = !pending.some((x) => x !== "" && x !== ".");
      const mustFollow = !isLast || final === "follow" || (final === "nofollow" && pending.length > 0);
      const p = joinPath(dir.path, [...stack, c].join("/"));
      if (mustFollow) {
        let st: Stat;
        try {
          st = fs.stat(p);
        } catch (e) {
          if (isLast && e instanceof FsError && e.errno === "NOENT") {
            stack.push(c);
            last_ = null;
            break;
          }
          throw e;
        }
        if (st.kind === "symlink") {
          if (++links > MAX_SYMLINKS) throw new FsError("LOOP", `too many symlinks in '${raw}'`);
          const target = fs.readlink(p);
          if (target.startsWith("/")) throw new FsError("NOTCAPABLE", `symlink '${c}' points to the absolute path '${target}'`);
          if (target === "") throw new FsError("NOENT", `symlink '${c}' is empty`);
          for (const t of target.split("/").reverse()) pending.push(t);
          continue;
        }
        if (!isLast && st.kind !== "dir") throw new FsError("NOTDIR", `'${c}' in '${raw}' is not a directory`);
        last_ = isLast ? st : undefined;
      } else {
        last_ = undefined;
      }
      stack.push(c);
    }
    // A trailing '..' or '.' ends on a directory that was not the last one stat'ed.
    if (pending.length === 0 && (tail === ".." || tail === ".")) last_ = undefined;
    return { fs, path: joinPath(dir.path, stack.join("/")), dirOnly, atDir: stack.length === 0, stat: last_ };
  }

  private lstatOrNull(fs: FileSystem, path: string): Stat | null {
    try {
      return fs.stat(path);
    } catch (e) {
      if (e instanceof FsError && e.errno === "NOENT") return null;
      throw e;
    }
  }

  private translate(e: unknown): unknown {
    if (e instanceof EkaError) return e;
    if (e instanceof WebAssembly.RuntimeError || (e instanceof RangeError && /call stack/i.test(e.message))) {
      const where = this.trapLocation(e);
      return new EkaError("E_WASM_TRAP", `the program trapped: ${e.message}${where ? ` in function ${where}` : ""}`);
    }
    // Import names are checked before the run, their types only when called: an i64 where a WASI
    // function takes an i32 (or the reverse) meets the host as a BigInt.
    if (e instanceof TypeError && /BigInt/.test(e.message)) {
      return new EkaError("E_WASM_IMPORT", `the module declares a WASI import with the wrong signature (i64 and i32 mixed up): ${e.message}; build it for wasm32-wasip1`);
    }
    return e;
  }

  /** The innermost wasm function of a trap's stack, named from the name section where there is one. */
  private trapLocation(e: Error): string | undefined {
    for (const frame of stackFrames(e)) {
      const m = /wasm-function\[(\d+)\]/.exec(frame);
      if (!m) continue;
      const index = Number(m[1]);
      const names = this.module ? functionNames(this.module) : undefined;
      return names?.get(index) ?? `#${index}`;
    }
    return undefined;
  }

  private table(): Record<string, (...a: never[]) => number> {
    const self = this;
    const m = () => this.mem();
    const t = {
      args_get: (argv: number, buf: number) => self.writeStrings(self.args, argv, buf),
      args_sizes_get: (count: number, size: number) => self.writeSizes(self.args, count, size),
      environ_get: (environ: number, buf: number) => self.writeStrings(self.env, environ, buf),
      environ_sizes_get: (count: number, size: number) => self.writeSizes(self.env, count, size),

      clock_res_get: (id: number, out: number) => {
        if (id > ClockId.THREAD_CPUTIME) return Errno.INVAL;
        m().dv.setBigUint64(out, self.clock.resolution, true);
        return 0;
      },
      clock_time_get: (id: number, _precision: bigint, out: number) => {
        if (id > ClockId.THREAD_CPUTIME) return Errno.INVAL;
        m().dv.setBigUint64(out, id === ClockId.REALTIME ? self.clock.realtime() : self.clock.monotonic(), true);
        return 0;
      },
      random_get: (buf: number, len: number) => {
        self.random(self.bytes(buf, len));
        return 0;
      },
      sched_yield: () => 0,
      proc_exit: (code: number) => {
        throw new WasiExit(code);
      },
      // Signals have no meaning inside the sandbox; preview1 hosts do not implement them.
      proc_raise: (_sig: number) => Errno.NOSYS,

      fd_advise: (fd: number, _offset: bigint, _len: bigint, advice: number) => {
        const d = self.withFd(fd, Rights.FD_ADVISE);
        if (advice > 5) return Errno.INVAL;
        if (d instanceof DirDescriptor) return Errno.BADF;
        return 0;
      },
      fd_allocate: (fd: number, offset: bigint, len: bigint) => {
        self.withFd(fd, Rights.FD_ALLOCATE).allocate(safeNum(offset), safeNum(len));
        return 0;
      },
      fd_close: (fd: number) => {
        self.withFd(fd).close();
        self.fds[fd] = undefined;
        return 0;
      },
      fd_datasync: (fd: number) => {
        self.withFd(fd, Rights.FD_DATASYNC).sync();
        return 0;
      },
      fd_sync: (fd: number) => {
        self.withFd(fd, Rights.FD_SYNC).sync();
        return 0;
      },
      fd_fdstat_get: (fd: number, out: number) => {
        const d = self.withFd(fd);
        writeFdstat(m().dv, out, d.filetype, d.fdflags, d.rightsBase, d.rightsInheriting);
        return 0;
      },
      fd_fdstat_set_flags: (fd: number, flags: number) => {
        const d = self.withFd(fd, Rights.FD_FDSTAT_SET_FLAGS);
        if (flags & ~(FdFlags.APPEND | FdFlags.NONBLOCK | FdFlags.DSYNC | FdFlags.RSYNC | FdFlags.SYNC)) return Errno.INVAL;
        d.fdflags = flags;
        return 0;
      },
      fd_fdstat_set_rights: (fd: number, base: bigint, inheriting: bigint) => {
        const d = self.withFd(fd);
        if ((base & ~d.rightsBase) !== 0n || (inheriting & ~d.rightsInheriting) !== 0n) return Errno.NOTCAPABLE;
        d.rightsBase = base;
        d.rightsInheriting = inheriting;
        return 0;
      },
      fd_filestat_get: (fd: number, out: number) => {
        writeFilestat(m().dv, out, self.withFd(fd, Rights.FD_FILESTAT_GET).filestat());
        return 0;
      },
      fd_filestat_set_size: (fd: number, size: bigint) => {
        const d = self.withFd(fd, Rights.FD_FILESTAT_SET_SIZE);
        if (d instanceof DirDescriptor) return Errno.ISDIR;
        d.setSize(safeNum(size));
        return 0;
      },
      fd_filestat_set_times: (fd: number, atim: bigint, mtim: bigint, flags: number) => {
        const d = self.withFd(fd, Rights.FD_FILESTAT_SET_TIMES);
        const [a, mt] = self.times(atim, mtim, flags);
        d.setTimes(a, mt);
        return 0;
      },
      fd_pread: (fd: number, iovs: number, n: number, offset: bigint, out: number) => {
        const d = self.withFd(fd, Rights.FD_READ | Rights.FD_SEEK);
        m().dv.setUint32(out, d.pread(self.iovs(iovs, n), safeNum(offset)), true);
        return 0;
      },
      fd_pwrite: (fd: number, iovs: number, n: number, offset: bigint, out: number) => {
        const d = self.withFd(fd, Rights.FD_WRITE | Rights.FD_SEEK);
        m().dv.setUint32(out, d.pwrite(self.iovs(iovs, n), safeNum(offset)), true);
        return 0;
      },
      fd_read: (fd: number, iovs: number, n: number, out: number) => {
        const d = self.withFd(fd, Rights.FD_READ);
        const got = d.read(self.iovs(iovs, n));
        m().dv.setUint32(out, got, true);
        return 0;
      },
      fd_write: (fd: number, iovs: number, n: number, out: number) => {
        const d = self.withFd(fd, Rights.FD_WRITE);
        const put = d.write(self.iovs(iovs, n));
        m().dv.setUint32(out, put, true);
        return 0;
      },
      fd_prestat_get: (fd: number, out: number) => {
        const d = self.withFd(fd);
        if (!(d instanceof DirDescriptor) || d.preopenName === undefined) return Errno.BADF;
        writePrestatDir(m().dv, out, encoder.encode(d.preopenName).length);
        return 0;
      },
      fd_prestat_dir_name: (fd: number, buf: number, len: number) => {
        const d = self.withFd(fd);
        if (!(d instanceof DirDescriptor) || d.preopenName === undefined) return Errno.BADF;
        const name = encoder.encode(d.preopenName);
        if (len < name.length) return Errno.NAMETOOLONG;
        self.bytes(buf, name.length).set(name);
        return 0;
      },
      fd_readdir: (fd: number, buf: number, len: number, cookie: bigint, out: number) => {
        const d = self.withFd(fd, Rights.FD_READDIR);
        if (!(d instanceof DirDescriptor)) return Errno.NOTDIR;
        m().dv.setUint32(out, self.readdir(d, self.bytes(buf, len), cookie), true);
        return 0;
      },
      fd_renumber: (from: number, to: number) => {
        const d = self.withFd(from);
        if (from === to) return 0;
        self.withFd(to).close();
        self.fds[to] = d;
        self.fds[from] = undefined;
        return 0;
      },
      fd_seek: (fd: number, offset: bigint, whence: number, out: number) => {
        const d = self.withFd(fd, offset === 0n && whence === 1 ? Rights.FD_TELL : Rights.FD_SEEK);
        m().dv.setBigUint64(out, d.seek(offset, whence), true);
        return 0;
      },
      fd_tell: (fd: number, out: number) => {
        m().dv.setBigUint64(out, self.withFd(fd, Rights.FD_TELL).seek(0n, 1), true);
        return 0;
      },

      path_create_directory: (fd: number, ptr: number, len: number) => {
        const r = self.resolvePath(self.dirFd(fd, Rights.PATH_CREATE_DIRECTORY), self.str(ptr, len), "never");
        if (r.atDir) return Errno.EXIST;
        r.fs.mkdir(r.path);
        return 0;
      },
      path_filestat_get: (fd: number, flags: number, ptr: number, len: number, out: number) => {
        const r = self.resolvePath(self.dirFd(fd, Rights.PATH_FILESTAT_GET), self.str(ptr, len), lookup(flags));
        const st = r.fs.stat(r.path);
        if (r.dirOnly && st.kind !== "dir") return Errno.NOTDIR;
        writeFilestat(m().dv, out, filestatOf(r.fs, st));
        return 0;
      },
      path_filestat_set_times: (fd: number, flags: number, ptr: number, len: number, atim: bigint, mtim: bigint, fst: number) => {
        const r = self.resolvePath(self.dirFd(fd, Rights.PATH_FILESTAT_SET_TIMES), self.str(ptr, len), lookup(flags));
        const [a, mt] = self.times(atim, mtim, fst);
        const st = r.fs.stat(r.path);
        if (r.dirOnly && st.kind !== "dir") return Errno.NOTDIR;
        r.fs.setTimes(r.path, a, mt);
        return 0;
      },
      path_link: (ofd: number, oflags: number, optr: number, olen: number, nfd: number, nptr: number, nlen: number) => {
        const from = self.resolvePath(self.dirFd(ofd, Rights.PATH_LINK_SOURCE), self.str(optr, olen), lookup(oflags));
        const to = self.resolvePath(self.dirFd(nfd, Rights.PATH_LINK_TARGET), self.str(nptr, nlen), "never");
        if (from.fs !== to.fs) return Errno.XDEV;
        const st = from.fs.stat(from.path);
        if (self.lstatOrNull(to.fs, to.path)) return Errno.EXIST;
        if (st.kind === "dir") return Errno.PERM;
        if (from.dirOnly) return Errno.NOTDIR;
        if (to.dirOnly) return Errno.NOENT;
        to.fs.link(from.path, to.path);
        return 0;
      },
      path_open: (fd: number, lookup: number, ptr: number, len: number, oflags: number, base: bigint, inheriting: bigint, fdflags: number, out: number) => {
        const dir = self.dirFd(fd, Rights.PATH_OPEN);
        const newFd = self.open(dir, lookup, self.str(ptr, len), oflags, base, inheriting, fdflags);
        m().dv.setUint32(out, newFd, true);
        return 0;
      },
      path_readlink: (fd: number, ptr: number, len: number, buf: number, bufLen: number, out: number) => {
        const r = self.resolvePath(self.dirFd(fd, Rights.PATH_READLINK), self.str(ptr, len), "never");
        if (r.dirOnly) return Errno.NOTDIR;
        const target = encoder.encode(r.fs.readlink(r.path));
        const n = Math.min(target.length, bufLen);
        self.bytes(buf, n).set(target.subarray(0, n));
        m().dv.setUint32(out, n, true);
        return 0;
      },
      path_remove_directory: (fd: number, ptr: number, len: number) => {
        const r = self.resolvePath(self.dirFd(fd, Rights.PATH_REMOVE_DIRECTORY), self.str(ptr, len), "never");
        if (r.atDir) return Errno.INVAL;
        const st = r.fs.stat(r.path);
        if (st.kind !== "dir") return Errno.NOTDIR;
        r.fs.rmdir(r.path);
        return 0;
      },
      path_rename: (ofd: number, optr: number, olen: number, nfd: number, nptr: number, nlen: number) => {
        const from = self.resolvePath(self.dirFd(ofd, Rights.PATH_RENAME_SOURCE), self.str(optr, olen), "never");
        const to = self.resolvePath(self.dirFd(nfd, Rights.PATH_RENAME_TARGET), self.str(nptr, nlen), "never");
        if (from.fs !== to.fs) return Errno.XDEV;
        if (from.atDir || to.atDir) return Errno.BUSY;
        const st = from.fs.stat(from.path);
        if ((from.dirOnly || to.dirOnly) && st.kind !== "dir") return Errno.NOTDIR;
        from.fs.rename(from.path, to.path);
        return 0;
      },
      path_symlink: (optr: number, olen: number, fd: number, nptr: number, nlen: number) => {
        const target = self.str(optr, olen);
        const r = self.resolvePath(self.dirFd(fd, Rights.PATH_SYMLINK), self.str(nptr, nlen), "never");
        if (r.atDir || self.lstatOrNull(r.fs, r.path)) return Errno.EXIST;
        if (r.dirOnly) return Errno.NOENT;
        r.fs.symlink(target, r.path);
        return 0;
      },
      path_unlink_file: (fd: number, ptr: number, len: number) => {
        const r = self.resolvePath(self.dirFd(fd, Rights.PATH_UNLINK_FILE), self.str(ptr, len), "never");
        if (r.atDir) return Errno.ISDIR;
        const st = r.fs.stat(r.path);
        if (st.kind === "dir") return Errno.ISDIR;
        if (r.dirOnly) return Errno.NOTDIR;
        r.fs.unlink(r.path);
        return 0;
      },

      poll_oneoff: (inPtr: number, outPtr: number, n: number, outN: number) => self.poll(inPtr, outPtr, n, outN),

      // No sockets exist in the sandbox: a socket call names a descriptor that is not a socket.
      sock_accept: (fd: number, _flags: number, _out: number) => self.notSocket(fd),
      sock_recv: (fd: number, _iovs: number, _n: number, _flags: number, _outLen: number, _outFlags: number) => self.notSocket(fd),
      sock_send: (fd: number, _iovs: number, _n: number, _flags: number, _out: number) => self.notSocket(fd),
      sock_shutdown: (fd: number, _how: number) => self.notSocket(fd),
    };
    const wrapped: Record<string, (...a: never[]) => number> = {};
    const limitMemory = self.opts.limits?.maxMemoryBytes !== undefined;
    const done = (n: number): number => {
      if (limitMemory) self.checkMemory();
      return n;
    };
    for (const [name, f] of Object.entries(t) as [string, (...a: unknown[]) => number][]) {
      // One wrapper per arity (no rest array); i32 arguments arrive signed, and every i32 in
      // preview1 is unsigned (pointers above 2 GiB).
      wrapped[name] =
        f.length <= 4
          ? (a?: unknown, b?: unknown, c?: unknown, d?: unknown) => {
              try {
                return done(f(u(a), u(b), u(c), u(d)));
              } catch (err) {
                return self.errno(err);
              }
            }
          : (a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown, g?: unknown, h?: unknown, i?: unknown, j?: unknown) => {
              try {
                return done(f(u(a), u(b), u(c), u(d), u(e), u(g), u(h), u(i), u(j)));
              } catch (err) {
                return self.errno(err);
              }
            };
    }
    return wrapped;
  }

  private errno(e: unknown): number {
    if (e instanceof FsError) return Errno[e.errno];
    if (e instanceof RangeError && !/call stack/i.test(e.message)) return Errno.FAULT;
    throw e;
  }

  private notSocket(fd: number): number {
    this.withFd(fd);
    return Errno.NOTSOCK;
  }

  private writeStrings(list: Uint8Array[], ptrs: number, buf: number): number {
    const { u8, dv } = this.mem();
    let p = buf;
    list.forEach((s, i) => {
      dv.setUint32(ptrs + i * 4, p, true);
      if (p + s.length > u8.length) throw new FsError("FAULT");
      u8.set(s, p);
      p += s.length;
    });
    return 0;
  }

  private writeSizes(list: Uint8Array[], countPtr: number, sizePtr: number): number {
    const { dv } = this.mem();
    dv.setUint32(countPtr, list.length, true);
    dv.setUint32(sizePtr, list.reduce((n, s) => n + s.length, 0), true);
    return 0;
  }

  /** Decodes fstflags into the times to set (`null` = leave unchanged). */
  private times(atim: bigint, mtim: bigint, flags: number): [bigint | null, bigint | null] {
    if ((flags & FstFlags.ATIM && flags & FstFlags.ATIM_NOW) || (flags & FstFlags.MTIM && flags & FstFlags.MTIM_NOW)) {
      throw new FsError("INVAL", "both a time and NOW given");
    }
    if (flags & ~15) throw new FsError("INVAL");
    const now = flags & (FstFlags.ATIM_NOW | FstFlags.MTIM_NOW) ? this.clock.realtime() : 0n;
    const a = flags & FstFlags.ATIM ? atim : flags & FstFlags.ATIM_NOW ? now : null;
    const m = flags & FstFlags.MTIM ? mtim : flags & FstFlags.MTIM_NOW ? now : null;
    return [a, m];
  }

  private open(dir: DirDescriptor, lookup: number, path: string, oflags: number, base: bigint, inheriting: bigint, fdflags: number): number {
    const creat = (oflags & OFlags.CREAT) !== 0;
    const excl = (oflags & OFlags.EXCL) !== 0;
    const trunc = (oflags & OFlags.TRUNC) !== 0;
    const wantDir = (oflags & OFlags.DIRECTORY) !== 0;
    if (creat && wantDir) throw new FsError("INVAL", "O_CREAT with O_DIRECTORY");
    if (creat && (dir.rightsBase & Rights.PATH_CREATE_FILE) === 0n) throw new FsError("NOTCAPABLE");
    // The spec's rights table: truncating through path_open is the directory's
    // PATH_FILESTAT_SET_SIZE right (there is no path_filestat_set_size call), as wasmtime's
    // wasi-common checked it.
    if (trunc && (dir.rightsBase & Rights.PATH_FILESTAT_SET_SIZE) === 0n) throw new FsError("NOTCAPABLE", `truncating '${path}' needs the directory's path_filestat_set_size right`);
    // With O_CREAT|O_EXCL the last component is never followed (POSIX).
    const follow = (lookup & LookupFlags.SYMLINK_FOLLOW) !== 0 && !(creat && excl);
    const r = this.resolvePath(dir, path, follow ? "follow" : "nofollow");
    const st = r.stat !== undefined ? r.stat : r.atDir ? r.fs.stat(r.path) : this.lstatOrNull(r.fs, r.path);
    if (st && creat && excl) throw new FsError("EXIST", `'${path}' exists`);
    if (st?.kind === "symlink") throw new FsError(r.dirOnly ? "NOTDIR" : "LOOP", `'${path}' is a symlink`);
    const wantsWrite = (base & Rights.FD_WRITE) !== 0n;
    base &= dir.rightsInheriting;
    inheriting &= dir.rightsInheriting;
    if (st?.kind === "dir") {
      // A directory is never open for writing, with O_DIRECTORY or without (wasmtime: ISDIR, as
      // Linux's open(2) says); the read right alone is fine, and wasi-libc's opendir asks for it.
      if (trunc || wantsWrite) throw new FsError("ISDIR", `'${path}' is a directory`);
      return this.install(new DirDescriptor(r.fs, r.path, base & DIR_RIGHTS, inheriting));
    }
    if (wantDir || r.dirOnly) {
      if (st) throw new FsError("NOTDIR", `'${path}' is not a directory`);
      throw new FsError(creat ? "ISDIR" : "NOENT", `'${path}' does not exist`);
    }
    if (!st && !creat) throw new FsError("NOENT", `'${path}' does not exist`);
    const write = (base & (Rights.FD_WRITE | Rights.FD_ALLOCATE | Rights.FD_FILESTAT_SET_SIZE)) !== 0n || trunc;
    const handle = r.fs.open(r.path, { write, create: creat, exclusive: excl, truncate: trunc });
    return this.install(new FileDescriptor(r.fs, r.path, handle, base & FILE_RIGHTS, inheriting, fdflags & ~FdFlags.NONBLOCK));
  }

  private install(d: Descriptor): number {
    let fd = this.fds.indexOf(undefined);
    if (fd < 0) fd = this.fds.push(d) - 1;
    else this.fds[fd] = d;
    return fd;
  }

  private readdir(d: DirDescriptor, out: Uint8Array, cookie: bigint): number {
    if (cookie < 0n) return 0;
    if (cookie === 0n || !d.listing) {
      const entries = d.fs.readdir(d.path).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const self = d.fs.stat(d.path);
      const parent = d.path === "" ? self : d.fs.stat(parentOf(d.path));
      d.listing = [
        { name: ".", type: Filetype.DIRECTORY, ino: self.ino },
        { name: "..", type: Filetype.DIRECTORY, ino: parent.ino },
        ...entries.map((e) => ({ name: e.name, ino: e.ino, type: e.kind === "file" ? Filetype.REGULAR_FILE : e.kind === "dir" ? Filetype.DIRECTORY : Filetype.SYMBOLIC_LINK })),
      ];
    }
    const header = new Uint8Array(SIZEOF.dirent);
    const hv = new DataView(header.buffer);
    let used = 0;
    for (let i = Number(cookie); i < d.listing.length && used < out.length; i++) {
      const e = d.listing[i] as { name: string; type: number; ino: bigint };
      const name = encoder.encode(e.name);
      encodeDirent(hv, 0, BigInt(i + 1), e.ino, name.length, e.type);
      // The last entry may be cut short; libc sees a full buffer and asks again with a bigger one.
      for (const part of [header, name]) {
        const n = Math.min(part.length, out.length - used);
        out.set(part.subarray(0, n), used);
        used += n;
      }
    }
    return used;
  }

  private poll(inPtr: number, outPtr: number, n: number, outN: number): number {
    if (n === 0) return Errno.INVAL;
    const { dv } = this.mem();
    const subs: Subscription[] = [];
    for (let i = 0; i < n; i++) subs.push(readSubscription(dv, inPtr + i * SIZEOF.subscription));
    type Ev = { userdata: bigint; error: number; type: number; nbytes: bigint; flags: number };
    const ready: Ev[] = [];
    let wakeAt: bigint | undefined;
    const now = this.clock.monotonic();
    const clockDeadline = (s: Subscription): bigint => {
      const base = s.clockId === ClockId.REALTIME ? this.clock.realtime() : now;
      const abs = s.flags & SUBCLOCK_ABSTIME ? s.timeout : base + s.timeout;
      return now + (abs - base);
    };
    for (const s of subs) {
      if (s.tag === EventType.CLOCK) {
        if (s.clockId > ClockId.THREAD_CPUTIME) {
          ready.push({ userdata: s.userdata, error: Errno.INVAL, type: s.tag, nbytes: 0n, flags: 0 });
          continue;
        }
        const at = clockDeadline(s);
        if (wakeAt === undefined || at < wakeAt) wakeAt = at;
      } else if (s.tag === EventType.FD_READ || s.tag === EventType.FD_WRITE) {
        const d = this.fds[s.fd];
        if (!d) {
          ready.push({ userdata: s.userdata, error: Errno.BADF, type: s.tag, nbytes: 0n, flags: 0 });
          continue;
        }
        if (s.tag === EventType.FD_READ) {
          const avail = d.readable();
          // Regular files are always ready; stdin at its end reports a hangup.
          const hangup = d instanceof StdinDescriptor && avail === 0n;
          ready.push({ userdata: s.userdata, error: 0, type: s.tag, nbytes: avail, flags: hangup ? EVENTRW_HANGUP : 0 });
        } else {
          ready.push({ userdata: s.userdata, error: 0, type: s.tag, nbytes: 0n, flags: 0 });
        }
      } else {
        return Errno.INVAL;
      }
    }
    if (ready.length === 0 && wakeAt !== undefined) {
      this.clock.sleepUntil(wakeAt);
    }
    // Clocks whose deadline has passed fire too (all of them when we slept to the earliest).
    if (wakeAt !== undefined) {
      const t = this.clock.monotonic();
      for (const s of subs) {
        if (s.tag === EventType.CLOCK && s.clockId <= ClockId.THREAD_CPUTIME && (clockDeadline(s) <= t || (ready.length === 0 && clockDeadline(s) <= (wakeAt ?? 0n)))) {
          ready.push({ userdata: s.userdata, error: 0, type: EventType.CLOCK, nbytes: 0n, flags: 0 });
        }
      }
    }
    const dv2 = this.mem().dv;
    ready.forEach((e, i) => writeEvent(dv2, outPtr + i * SIZEOF.event, e.userdata, e.error, e.type, e.nbytes, e.flags));
    dv2.setUint32(outN, ready.length, true);
    return 0;
  }
}

/** How `resolvePath` treats a symlink in the last component. */
type FinalLink = "follow" | "nofollow" | "never";

function lookup(flags: number): FinalLink {
  return flags & LookupFlags.SYMLINK_FOLLOW ? "follow" : "nofollow";
}

interface Resolved {
  fs: FileSystem;
  /** The resolved path inside `fs`. */
  path: string;
  /** The guest path ended in '/', '.' or '..': it must name a directory. */
  dirOnly: boolean;
  /** The path resolved to the directory descriptor itself. */
  atDir: boolean;
  /** The lstat of the result if resolution already took it (null: it does not exist). */
  stat?: Stat | null | undefined;
}

function u(v: unknown): unknown {
  return typeof v === "number" ? v >>> 0 : v;
}

function safeNum(v: bigint): number {
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new FsError("FBIG");
  return Number(v);
}


/** Throws E_WASM_IMPORT naming every import the host cannot provide. */
export function checkImports(module: WebAssembly.Module, extra: Record<string, object> = {}): void {
  const known = new Set(SYSCALL_NAMES);
  const missing: string[] = [];
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.module === "wasi_snapshot_preview1" && imp.kind === "function" && known.has(imp.name)) continue;
    if (imp.module in extra && imp.name in (extra[imp.module] as object)) continue;
    missing.push(`${imp.module}.${imp.name} (${imp.kind})`);
  }
  if (missing.length) {
    throw new EkaError("E_WASM_IMPORT", `the module needs imports eka does not provide: ${missing.slice(0, 8).join(", ")}${missing.length > 8 ? `, and ${missing.length - 8} more` : ""}; eka runs WASI preview1 commands (wasi_snapshot_preview1) only`);
  }
}

/** Instantiates `module` with a fresh host and runs it to completion. */
export async function runWasi(module: WebAssembly.Module, opts: RunOptions): Promise<RunResult> {
  checkImports(module);
  const host = new WasiHost(opts);
  host.setModule(module);
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(module, host.imports);
  } catch (e) {
    // A data or element segment out of bounds, an import of the wrong kind: the module's fault.
    if (e instanceof WebAssembly.LinkError) throw new EkaError("E_WASM_IMPORT", `the module's imports do not match what eka provides: ${e.message}`);
    if (e instanceof WebAssembly.RuntimeError) throw new EkaError("E_WASM_TRAP", `the program trapped while it was instantiated: ${e.message}`);
    throw e;
  }
  return host.start(instance);
}

export const SYSCALL_NAMES: readonly string[] = [
  "args_get", "args_sizes_get", "environ_get", "environ_sizes_get", "clock_res_get", "clock_time_get",
  "random_get", "sched_yield", "proc_exit", "proc_raise", "fd_advise", "fd_allocate", "fd_close",
  "fd_datasync", "fd_sync", "fd_fdstat_get", "fd_fdstat_set_flags", "fd_fdstat_set_rights",
  "fd_filestat_get", "fd_filestat_set_size", "fd_filestat_set_times", "fd_pread", "fd_pwrite", "fd_read",
  "fd_write", "fd_prestat_get", "fd_prestat_dir_name", "fd_readdir", "fd_renumber", "fd_seek", "fd_tell",
  "path_create_directory", "path_filestat_get", "path_filestat_set_times", "path_link", "path_open",
  "path_readlink", "path_remove_directory", "path_rename", "path_symlink", "path_unlink_file",
  "poll_oneoff", "sock_accept", "sock_recv", "sock_send", "sock_shutdown",
];
