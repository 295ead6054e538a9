/**
 * The one mapping from what the machine says (a Node file system error's errno, a failed fetch's
 * cause) to what eka says: an `EkaError` with a stable code, the path, and the fix. No `node:`
 * import, so core code (sources) uses it too; Node, Deno and Bun raise the same errno codes.
 */
import { EkaError, type ErrorCode } from "../errors.ts";

/** The parts of a Node `ErrnoException` this reads. */
interface Errno {
  code: string;
  syscall?: string;
  path?: string;
  dest?: string;
  message: string;
}

/** Node's size limit for one read into memory (2 GiB); a bigger file fails with this code. */
const FILE_TOO_LARGE = "ERR_FS_FILE_TOO_LARGE";

/** Whether `e` is an error from the host's file system (it carries an errno code). */
function isHostIoError(e: unknown): e is Errno {
  if (!(e instanceof Error)) return false;
  const code = (e as Partial<Errno>).code;
  return typeof code === "string" && (/^E[A-Z0-9]+$/.test(code) || code === FILE_TOO_LARGE) && !(e instanceof EkaError);
}

export interface HostIoContext {
  /** The path to name instead of the error's (a temp file's final name), or where it names none. */
  path?: string;
  /** What eka was doing, e.g. "writing to the store /s" (shown after the path). */
  doing?: string;
  /** Fixes, by the code the error gets, where the errno's usual one does not fit. */
  fix?: Partial<Record<ErrorCode, string>>;
}

/**
 * `e` as an EkaError naming the path and the fix, or null when `e` is not a host I/O error (the
 * caller rethrows it: a bug stays an internal error).
 */
export function hostIoError(e: unknown, ctx: HostIoContext = {}): EkaError | null {
  if (!isHostIoError(e)) return null;
  const p = ctx.path ?? e.path ?? "(unknown path)";
  const where = ctx.doing ? ` (${ctx.doing})` : "";
  const [code, what, usualFix] = describe(e, p);
  return new EkaError(code, `${what}${where}; ${ctx.fix?.[code] ?? usualFix}`, { errno: e.code, ...(e.syscall ? { syscall: e.syscall } : {}), path: p });
}

/** Runs `fn`, turning a host I/O error it throws into `hostIoError(e, ctx)`. */
export function withHostIo<T>(ctx: HostIoContext, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw hostIoError(e, ctx) ?? e;
  }
}

function describe(e: Errno, p: string): [ErrorCode, string, string] {
  switch (e.code) {
    case "ENOSPC":
    case "EDQUOT":
      return ["E_DISK_FULL", `no space left on the device holding ${p}`, "free some space there ('eka store gc' removes the store's garbage) and run the command again"];
    case "EACCES":
    case "EPERM":
      return ["E_PERMISSION", `permission denied: ${p}`, "make it readable and writable for this user (chmod, chown), or use another directory"];
    case "EROFS":
      return ["E_PERMISSION", `${p} is on a read-only file system`, "use a directory on a writable file system"];
    case "ENOTDIR":
      return ["E_NOT_DIRECTORY", `a part of ${p} is a file where a directory is expected`, "move that file away or choose another path"];
    case "EEXIST":
      if (e.syscall === "mkdir") return ["E_NOT_DIRECTORY", `${p} is a file where a directory is expected`, "move that file away or choose another path"];
      return ["E_EXISTS", `${p} exists already`, "remove it or choose another path"];
    case "EISDIR":
      return ["E_NOT_FILE", `${p} is a directory where a file is expected`, "move that directory away or choose another path"];
    case "ENAMETOOLONG":
      return ["E_NAME_TOO_LONG", `${p} is too long for the file system (a name over 255 bytes, or a path over 4095: a tree nested too deep)`, "shorten the names or flatten the tree"];
    case "ELOOP":
      return ["E_HOST_IO", `${p} goes through too many levels of symbolic links`, "fix the symlink loop"];
    case "ENOENT":
      // mkdir in an existing directory whose file system takes no new entries (/proc), or Node's
      // recursive mkdir on a read-only one, which reports ENOENT for EROFS.
      if (e.syscall === "mkdir") return ["E_PERMISSION", `cannot create ${p}: the file system refuses new directories there (read-only, or virtual such as /proc)`, "choose a directory on a writable file system"];
      return ["E_NOT_FOUND", `${p} does not exist`, "check the path"];
    case "EMFILE":
    case "ENFILE":
      return ["E_HOST_IO", `too many open files (at ${p})`, "raise the limit ('ulimit -n') or run fewer jobs (-j)"];
    case FILE_TOO_LARGE:
      return ["E_FILE_TOO_LARGE", `${p} is larger than eka reads into memory at once (2 GiB)`, "name the directory holding it as the source (a directory is copied and hashed in chunks), or leave it out of what is stored"];
    default:
      return ["E_HOST_IO", `${e.syscall ?? "I/O"} on ${p} failed: ${e.code}`, "check the disk and the file system (dmesg may say more)"];
  }
}

/**
 * Why a `fetch` failed, in words: Node's fetch throws `TypeError("fetch failed")` and puts the
 * socket's error in `cause` (its `code`: ECONNREFUSED, ENOTFOUND, UND_ERR_CONNECT_TIMEOUT, …).
 */
export function fetchFailureReason(e: unknown): string {
  let cause: unknown = e;
  // The cause can be nested (an AggregateError of each address tried, or a cause of a cause).
  for (let i = 0; i < 4 && cause instanceof Error; i++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === "string" && code in REASONS) return `${REASONS[code]} (${code})`;
    if (cause.name === "TimeoutError") return "it did not answer in time (timeout)";
    const next: unknown = (cause as { cause?: unknown }).cause ?? (cause instanceof AggregateError ? cause.errors[0] : undefined);
    if (next === undefined) break;
    cause = next;
  }
  const inner = e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e);
  return inner;
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: "the connection was refused: nothing listens at that host and port",
  ECONNRESET: "the server closed the connection",
  ENOTFOUND: "the host name does not resolve (DNS lookup failed)",
  EAI_AGAIN: "the host name cannot be resolved right now (DNS lookup timed out)",
  ETIMEDOUT: "the connection timed out",
  UND_ERR_CONNECT_TIMEOUT: "the connection timed out",
  UND_ERR_HEADERS_TIMEOUT: "the server did not answer in time (timeout)",
  UND_ERR_BODY_TIMEOUT: "the server stopped sending in the middle (timeout)",
  UND_ERR_SOCKET: "the connection broke",
  EHOSTUNREACH: "the host is unreachable",
  ENETUNREACH: "the network is unreachable",
  CERT_HAS_EXPIRED: "the server's TLS certificate has expired",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the server's TLS certificate is self-signed",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the server's TLS certificate cannot be verified",
  ERR_INVALID_URL: "it is not a valid URL",
};
