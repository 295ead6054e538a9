// Node-only, bench only: an Executor that runs each command with the host's native LLVM 22
// (Debian's clang-22, lld-22, llvm-22) instead of the seed's WebAssembly module, over the same
// sandbox directories. eka plans, schedules, caches and ingests exactly as for a real build; only
// the compilers differ, so a build through it is "native clang-22, same sources, same flags, -jN".
//
// Guest paths in argv are mapped to the mounts' host directories and back in the driver's job list
// (`clang -###`), so eka sees the same jobs it sees from the seed. The sysroot and clang's resource
// directory are the seed's own (mounted at /usr), so the headers, libc and builtins are the same.
import { spawn, spawnSync } from "node:child_process";
import type { ExecRequest, ExecResult, Executor, Mount } from "../src/builder/executor.ts";

const TOOLS: Record<string, string> = {
  clang: "clang-22",
  "clang++": "clang++-22",
  "wasm-ld": "wasm-ld-22",
  "llvm-ar": "llvm-ar-22",
  "llvm-ranlib": "llvm-ranlib-22",
  "llvm-nm": "llvm-nm-22",
  "llvm-strip": "llvm-strip-22",
  "llvm-objcopy": "llvm-objcopy-22",
};

/** Null when the native tools are installed, else what to install. */
export function nativeToolsMissing(): string | null {
  for (const t of ["clang-22", "wasm-ld-22", "llvm-ar-22"]) {
    if (spawnSync(t, ["--version"], { stdio: "ignore" }).status !== 0) return "apt-get install clang-22 lld-22 llvm-22";
  }
  return null;
}

export class NativeExecutor implements Executor {
  /** Wall ms spent inside the native tools' processes, summed: the compilers' own share of a build. */
  toolMs = 0;
  constructor(readonly slots: number) {}

  async execute(req: ExecRequest): Promise<ExecResult> {
    const hostMounts = req.mounts.filter((m): m is Mount & { host: string } => "host" in m).sort((a, b) => b.guest.length - a.guest.length);
    const toHost = (a: string) => mapPaths(a, hostMounts.map((m) => [m.guest, m.host]));
    const toGuest = (a: string) => mapPaths(a, [...hostMounts].sort((x, y) => y.host.length - x.host.length).map((m) => [m.host, m.guest]));
    const [argv0full, ...rest] = req.command.args;
    // Jobs from the native driver name its binaries by path (/usr/bin/wasm-ld-22).
    const argv0 = (argv0full ?? "").replace(/^.*\//, "").replace(/-\d+$/, "");
    const tool = TOOLS[argv0];
    if (!tool) throw new Error(`native executor: no native tool for '${argv0}'`);
    const usr = hostMounts.find((m) => m.guest === "/usr")?.host;
    const isDriver = (argv0 === "clang" || argv0 === "clang++") && rest[0] !== "-cc1" && rest[0] !== "-cc1as";
    // The seed's clang has /usr (its sysroot, holding the resource headers and builtins) built in.
    const extra = isDriver && usr ? [`--sysroot=${usr}`, `-resource-dir=${usr}`] : [];
    const t0 = performance.now();
    const r = await run(tool, [...extra, ...rest.map(toHost)], toHost(req.command.cwd), req.command.env);
    this.toolMs += performance.now() - t0;
    // The driver's answer to -### names host paths; eka's job list (and its cache) wants guest ones.
    const stderr = isDriver && rest.includes("-###") ? new TextEncoder().encode(toGuest(new TextDecoder().decode(r.stderr))) : r.stderr;
    return { exitCode: r.exitCode, stdout: r.stdout, stderr };
  }
}

/** Replaces each `from` prefix at a path boundary (an argument's start, after `=`, or after a short flag such as -I). */
function mapPaths(s: string, pairs: [string, string][]): string {
  let out = "";
  let i = 0;
  while (i < s.length) {
    const before = s[i - 1];
    const boundary = i === 0 || before === "=" || before === " " || before === '"' || before === "\n" || (before !== undefined && /[A-Za-z]/.test(before) && s[i - 2] === "-");
    const hit = boundary ? pairs.find(([from]) => s.startsWith(from, i) && (s.length === i + from.length || /[/\s"]/.test(s[i + from.length] as string))) : undefined;
    if (hit) {
      out += hit[1];
      i += hit[0].length;
    } else out += s[i++];
  }
  return out;
}

function run(cmd: string, args: string[], cwd: string, env: Record<string, string>): Promise<{ exitCode: number; stdout: Uint8Array; stderr: Uint8Array }> {
  return new Promise((resolve, reject) => {
    // Not npm's PATH: the driver would find binaryen's wasm-opt there and add a job the seed never runs.
    const p = spawn(cmd, args, { cwd, env: { ...env, PATH: "/usr/lib/llvm-22/bin:/usr/bin:/bin", TMPDIR: process.env.TMPDIR ?? "/tmp" } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on("data", (c: Buffer) => out.push(c));
    p.stderr.on("data", (c: Buffer) => err.push(c));
    p.on("error", reject);
    p.on("close", (code) => resolve({ exitCode: code ?? 1, stdout: Buffer.concat(out), stderr: Buffer.concat(err) }));
  });
}
