/**
 * wasi_snapshot_preview1 ABI: constants and struct encoders with literal little-endian offsets
 * (from the witx definitions). Imports nothing, so every other runtime file can depend on it.
 */

export const Errno = {
  SUCCESS: 0, "2BIG": 1, ACCES: 2, ADDRINUSE: 3, ADDRNOTAVAIL: 4, AFNOSUPPORT: 5, AGAIN: 6,
  ALREADY: 7, BADF: 8, BADMSG: 9, BUSY: 10, CANCELED: 11, CHILD: 12, CONNABORTED: 13,
  CONNREFUSED: 14, CONNRESET: 15, DEADLK: 16, DESTADDRREQ: 17, DOM: 18, DQUOT: 19, EXIST: 20,
  FAULT: 21, FBIG: 22, HOSTUNREACH: 23, IDRM: 24, ILSEQ: 25, INPROGRESS: 26, INTR: 27, INVAL: 28,
  IO: 29, ISCONN: 30, ISDIR: 31, LOOP: 32, MFILE: 33, MLINK: 34, MSGSIZE: 35, MULTIHOP: 36,
  NAMETOOLONG: 37, NETDOWN: 38, NETRESET: 39, NETUNREACH: 40, NFILE: 41, NOBUFS: 42, NODEV: 43,
  NOENT: 44, NOEXEC: 45, NOLCK: 46, NOLINK: 47, NOMEM: 48, NOMSG: 49, NOPROTOOPT: 50, NOSPC: 51,
  NOSYS: 52, NOTCONN: 53, NOTDIR: 54, NOTEMPTY: 55, NOTRECOVERABLE: 56, NOTSOCK: 57, NOTSUP: 58,
  NOTTY: 59, NXIO: 60, OVERFLOW: 61, OWNERDEAD: 62, PERM: 63, PIPE: 64, PROTO: 65,
  PROTONOSUPPORT: 66, PROTOTYPE: 67, RANGE: 68, ROFS: 69, SPIPE: 70, SRCH: 71, STALE: 72,
  TIMEDOUT: 73, TXTBSY: 74, XDEV: 75, NOTCAPABLE: 76,
} as const;
/** A WASI errno by name without the leading E, e.g. "NOENT". */
export type ErrnoName = keyof typeof Errno;

export const Filetype = {
  UNKNOWN: 0, BLOCK_DEVICE: 1, CHARACTER_DEVICE: 2, DIRECTORY: 3, REGULAR_FILE: 4,
  SOCKET_DGRAM: 5, SOCKET_STREAM: 6, SYMBOLIC_LINK: 7,
} as const;

export const FdFlags = { APPEND: 1, DSYNC: 2, NONBLOCK: 4, RSYNC: 8, SYNC: 16 } as const;
export const OFlags = { CREAT: 1, DIRECTORY: 2, EXCL: 4, TRUNC: 8 } as const;
export const LookupFlags = { SYMLINK_FOLLOW: 1 } as const;
export const FstFlags = { ATIM: 1, ATIM_NOW: 2, MTIM: 4, MTIM_NOW: 8 } as const;
export const Whence = { SET: 0, CUR: 1, END: 2 } as const;
export const ClockId = { REALTIME: 0, MONOTONIC: 1, PROCESS_CPUTIME: 2, THREAD_CPUTIME: 3 } as const;
export const EventType = { CLOCK: 0, FD_READ: 1, FD_WRITE: 2 } as const;
export const SUBCLOCK_ABSTIME = 1;
export const EVENTRW_HANGUP = 1;
export const PREOPENTYPE_DIR = 0;

/** Rights bits (u64, all below 2^30 so plain numbers would do; bigint matches the ABI). */
export const Rights = {
  FD_DATASYNC: 1n << 0n, FD_READ: 1n << 1n, FD_SEEK: 1n << 2n, FD_FDSTAT_SET_FLAGS: 1n << 3n,
  FD_SYNC: 1n << 4n, FD_TELL: 1n << 5n, FD_WRITE: 1n << 6n, FD_ADVISE: 1n << 7n,
  FD_ALLOCATE: 1n << 8n, PATH_CREATE_DIRECTORY: 1n << 9n, PATH_CREATE_FILE: 1n << 10n,
  PATH_LINK_SOURCE: 1n << 11n, PATH_LINK_TARGET: 1n << 12n, PATH_OPEN: 1n << 13n,
  FD_READDIR: 1n << 14n, PATH_READLINK: 1n << 15n, PATH_RENAME_SOURCE: 1n << 16n,
  PATH_RENAME_TARGET: 1n << 17n, PATH_FILESTAT_GET: 1n << 18n, PATH_FILESTAT_SET_SIZE: 1n << 19n,
  PATH_FILESTAT_SET_TIMES: 1n << 20n, FD_FILESTAT_GET: 1n << 21n, FD_FILESTAT_SET_SIZE: 1n << 22n,
  FD_FILESTAT_SET_TIMES: 1n << 23n, PATH_SYMLINK: 1n << 24n, PATH_REMOVE_DIRECTORY: 1n << 25n,
  PATH_UNLINK_FILE: 1n << 26n, POLL_FD_READWRITE: 1n << 27n, SOCK_SHUTDOWN: 1n << 28n,
  SOCK_ACCEPT: 1n << 29n,
} as const;
export const ALL_RIGHTS = (1n << 30n) - 1n;

export const SIZEOF = { iovec: 8, filestat: 64, fdstat: 24, prestat: 8, dirent: 24, subscription: 48, event: 32 } as const;

export interface FilestatFields {
  dev: bigint;
  ino: bigint;
  filetype: number;
  nlink: bigint;
  size: bigint;
  atim: bigint;
  mtim: bigint;
  ctim: bigint;
}

export function writeFilestat(dv: DataView, p: number, s: FilestatFields): void {
  dv.setBigUint64(p + 0, s.dev, true);
  dv.setBigUint64(p + 8, s.ino, true);
  dv.setUint8(p + 16, s.filetype);
  for (let i = 17; i < 24; i++) dv.setUint8(p + i, 0);
  dv.setBigUint64(p + 24, s.nlink, true);
  dv.setBigUint64(p + 32, s.size, true);
  dv.setBigUint64(p + 40, s.atim, true);
  dv.setBigUint64(p + 48, s.mtim, true);
  dv.setBigUint64(p + 56, s.ctim, true);
}

export function writeFdstat(dv: DataView, p: number, filetype: number, flags: number, base: bigint, inheriting: bigint): void {
  dv.setUint8(p + 0, filetype);
  dv.setUint8(p + 1, 0);
  dv.setUint16(p + 2, flags, true);
  dv.setUint32(p + 4, 0, true);
  dv.setBigUint64(p + 8, base, true);
  dv.setBigUint64(p + 16, inheriting, true);
}

export function writePrestatDir(dv: DataView, p: number, nameLen: number): void {
  dv.setUint32(p + 0, PREOPENTYPE_DIR, true);
  dv.setUint32(p + 4, nameLen, true);
}

/** Encodes a dirent header (24 bytes, the name follows it) into `out` at `p`. */
export function encodeDirent(out: DataView, p: number, next: bigint, ino: bigint, nameLen: number, type: number): void {
  out.setBigUint64(p + 0, next, true);
  out.setBigUint64(p + 8, ino, true);
  out.setUint32(p + 16, nameLen, true);
  out.setUint8(p + 20, type);
  out.setUint8(p + 21, 0);
  out.setUint16(p + 22, 0, true);
}

export interface Subscription {
  userdata: bigint;
  tag: number;
  /** clock: */
  clockId: number;
  timeout: bigint;
  precision: bigint;
  flags: number;
  /** fd_read / fd_write: */
  fd: number;
}

export function readSubscription(dv: DataView, p: number): Subscription {
  const tag = dv.getUint8(p + 8);
  const clock = tag === EventType.CLOCK;
  return {
    userdata: dv.getBigUint64(p + 0, true),
    tag,
    clockId: clock ? dv.getUint32(p + 16, true) : 0,
    timeout: clock ? dv.getBigUint64(p + 24, true) : 0n,
    precision: clock ? dv.getBigUint64(p + 32, true) : 0n,
    flags: clock ? dv.getUint16(p + 40, true) : 0,
    fd: clock ? -1 : dv.getUint32(p + 16, true),
  };
}

export function writeEvent(dv: DataView, p: number, userdata: bigint, error: number, type: number, nbytes: bigint, flags: number): void {
  dv.setBigUint64(p + 0, userdata, true);
  dv.setUint16(p + 8, error, true);
  dv.setUint8(p + 10, type);
  for (let i = 11; i < 16; i++) dv.setUint8(p + i, 0);
  dv.setBigUint64(p + 16, nbytes, true);
  dv.setUint16(p + 24, flags, true);
  for (let i = 26; i < 32; i++) dv.setUint8(p + i, 0);
}
