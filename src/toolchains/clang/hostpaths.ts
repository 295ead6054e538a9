/**
 * How `eka cc` shows the host's files to the seed, like `zig cc` does on the current directory.
 *
 * wasi-libc has no notion of a starting cwd: every relative path is resolved from the guest root.
 * So the host's current directory is mounted at guest `/`, which makes relative paths (and the file
 * names in clang's diagnostics) exactly what the user typed. An absolute host path `/a/b/c` works
 * because its top-level directory `/a` is mounted at guest `/a` (wasi-libc picks the longest
 * matching preopen). Arguments that climb above the current directory (`../x.c`, `-I../inc`) are
 * made absolute, since no path may leave a preopen. If the current directory holds an entry with
 * the same name as a mounted top-level directory, relative arguments into it are made absolute
 * too, so they cannot land in the host's top-level directory by mistake. Host paths under `/usr`
 * are shadowed by the sysroot.
 */

export interface HostPathPlan {
  /** The arguments to pass to the seed, with climbing and ambiguous paths made absolute. */
  args: string[];
  /** Host top-level directories to mount at the same guest path (e.g. "/work"). */
  topDirs: string[];
  /** Absolute arguments under /usr, which the guest sees as the sysroot instead. */
  shadowed: string[];
}

// Options whose value may follow directly (`-Ifoo`) or as `--opt=value`.
const JOINED = /^(-(?:I|L|o|F|isystem|iquote|idirafter|include|imacros|MF|MT|MQ|iprefix|iwithprefix|iwithprefixbefore|isysroot|working-directory)|-[A-Za-z][\w-]*=|--[A-Za-z][\w-]*=)(.+)$/;

/**
 * Rewrites `args` for a guest whose root is `cwd` (an absolute host path); `cwdEntries` are the
 * names directly inside it (to detect clashes with mounted top-level directories); `reserved` are
 * guest top-level names always mounted over the root (the sysroot at /usr, the temp directory).
 */
export function planHostPaths(args: string[], cwd: string, cwdEntries: ReadonlySet<string>, reserved: readonly string[] = ["usr"]): HostPathPlan {
  const tops = new Set<string>();
  const shadowed: string[] = [];
  if (cwd === "/") return { args: [...args], topDirs: [], shadowed };

  const absolutize = (p: string, clash: ReadonlySet<string>): string => {
    if (p === ".." || p.startsWith("../")) return resolvePosix(cwd, p);
    const first = p.split("/")[0] ?? "";
    if (!p.startsWith("/") && !p.startsWith("-") && clash.has(first)) return resolvePosix(cwd, p);
    return p;
  };
  const rewrite = (arg: string, clash: ReadonlySet<string>): string => {
    if (arg.startsWith("-Wl,")) return "-Wl," + arg.slice(4).split(",").map((a) => rewrite(a, clash)).join(",");
    const m = JOINED.exec(arg);
    if (m && !arg.startsWith("/")) return (m[1] ?? "") + absolutize(m[2] ?? "", clash);
    if (arg.startsWith("-")) return arg;
    return absolutize(arg, clash);
  };
  const note = (arg: string): void => {
    if (arg.startsWith("-Wl,")) {
      for (const a of arg.slice(4).split(",")) note(a);
      return;
    }
    const m = JOINED.exec(arg);
    const p = m && !arg.startsWith("/") ? (m[2] ?? "") : arg;
    if (!p.startsWith("/")) return;
    const top = p.split("/")[1] ?? "";
    if (top === "") return;
    if (top === "usr") shadowed.push(p);
    else tops.add(top);
  };

  // Macro definitions are values, not paths: `-DDIR=/opt/x` and the word after `-D` stay as typed.
  const literal = args.map((a, i) => /^-[DU]/.test(a) || args[i - 1] === "-D" || args[i - 1] === "-U");
  const each = (f: (a: string) => string, list: string[]): string[] => list.map((a, i) => (literal[i] ? a : f(a)));
  const noteAll = (list: string[]): void => list.forEach((a, i) => literal[i] || note(a));

  // Pass 1: climbing paths become absolute; collect top-level directories of absolute paths.
  let out = each((a) => rewrite(a, new Set()), args);
  noteAll(out);
  // The current directory itself lives under a top-level directory; relative paths that clash
  // with a mounted name are rewritten under it, which may add that directory.
  const clash = new Set([...tops, ...reserved].filter((t) => cwdEntries.has(t)));
  if (clash.size) {
    out = each((a) => rewrite(a, clash), out);
    noteAll(out);
  }
  return { args: out, topDirs: [...tops].sort().map((t) => "/" + t), shadowed };
}

/** POSIX path resolution of `p` against the absolute directory `base`, without touching the disk. */
export function resolvePosix(base: string, p: string): string {
  const parts = (p.startsWith("/") ? p : `${base}/${p}`).split("/");
  const out: string[] = [];
  for (const part of parts) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return "/" + out.join("/");
}
