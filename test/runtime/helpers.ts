// Shared setup for runtime tests: WAT → module, the seed's sysroot in a MemoryFS, and C → wasm by
// running the seed clang's jobs (cc1, wasm-ld) with OUR host — which doubles as the proof that the
// host runs clang.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import wabtInit from "wabt";
import { FsError, MemoryFS, ReadOnlyFS, mkdirp, readFile, runWasi, writeFile, type FileSystem, type RunOptions, type RunResult } from "../../src/runtime/index.ts";

type Wabt = Awaited<ReturnType<typeof wabtInit>>;
let wabt: Promise<Wabt> | undefined;

/** Compiles WAT text to a module (the name section kept, so traps can name functions). */
export async function wat(text: string): Promise<WebAssembly.Module> {
  wabt ??= wabtInit();
  const mod = (await wabt).parseWat("test.wat", text);
  mod.resolveNames();
  mod.validate();
  return new WebAssembly.Module(mod.toBinary({ write_debug_names: true }).buffer as Uint8Array<ArrayBuffer>);
}

export const WASI_IMPORTS = `
 (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
 (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))`;

export const seedDir = join(dirname(fileURLToPath(import.meta.url)), "../../node_modules/@yowasp/clang/gen");

let clang: Promise<WebAssembly.Module> | undefined;
export function clangModule(): Promise<WebAssembly.Module> {
  clang ??= WebAssembly.compile(readFileSync(join(seedDir, "llvm.core.wasm")));
  return clang;
}

let sysroot: FileSystem | undefined;
/** The sysroot + resource dir (llvm-resources.tar), read-only, for mounting at /usr. */
export function sysrootFS(): FileSystem {
  if (sysroot) return sysroot;
  const fs = new MemoryFS({ now: () => 0n });
  const tar = readFileSync(join(seedDir, "llvm-resources.tar"));
  const dec = new TextDecoder();
  const field = (off: number, len: number) => dec.decode(tar.subarray(off, off + len)).replace(/\0.*$/s, "");
  for (let p = 0; p + 512 <= tar.length; ) {
    const name = field(p, 100);
    if (!name) break;
    const prefix = field(p + 345, 155);
    const full = (prefix ? `${prefix}/${name}` : name).replace(/^\.\//, "").replace(/\/$/, "");
    const size = parseInt(field(p + 124, 12).trim() || "0", 8);
    const type = field(p + 156, 1) || "0";
    const body = tar.subarray(p + 512, p + 512 + size);
    if (type === "5") mkdirp(fs, full);
    else if (type === "0") writeFile(fs, full, body);
    else if (type === "2") {
      mkdirp(fs, full.slice(0, Math.max(0, full.lastIndexOf("/"))));
      fs.symlink(field(p + 157, 100), full);
    }
    p += 512 + Math.ceil(size / 512) * 512;
  }
  sysroot = new ReadOnlyFS(fs);
  return sysroot;
}

export async function runClang(args: string[], work: FileSystem, extra: Partial<RunOptions> = {}): Promise<RunResult> {
  return runWasi(await clangModule(), {
    args,
    env: {},
    preopens: [
      { guest: "/usr", fs: sysrootFS() },
      { guest: "/work", fs: work },
    ],
    ...extra,
  });
}

/** Parses the job lines clang -### prints (each token double-quoted, backslash-escaped). */
export function parseJobs(text: string): string[][] {
  const jobs: string[][] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith(" \"")) continue;
    const toks = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => (m[1] as string).replace(/\\(.)/g, "$1"));
    jobs.push(toks[0] === "" ? toks.slice(1) : toks);
  }
  return jobs;
}

/**
 * Compiles C `files` (name → source) to a WASI command with the seed clang run by our host, inside
 * a MemoryFS mounted at /work (temp files in /work/tmp). Returns the wasm bytes.
 */
export async function compileC(files: Record<string, string>, flags: string[] = ["-O1"]): Promise<Uint8Array> {
  const work = new MemoryFS();
  mkdirp(work, "tmp");
  for (const [name, src] of Object.entries(files)) writeFile(work, name, new TextEncoder().encode(src));
  const sources = Object.keys(files).filter((f) => f.endsWith(".c")).map((f) => `/work/${f}`);
  const plan = await runClang(["clang", "-###", "--target=wasm32-wasip1", ...flags, "-o", "/work/out.wasm", ...sources], work, { env: { TMPDIR: "/work/tmp" } });
  const text = new TextDecoder().decode(plan.stderr);
  if (plan.exitCode !== 0) throw new Error(`clang -### failed:\n${text}`);
  for (const job of parseJobs(text)) {
    const r = await runClang(job, work);
    if (r.exitCode !== 0) throw new Error(`${job[0]} failed (${r.exitCode}):\n${new TextDecoder().decode(r.stderr)}`);
  }
  return readFile(work, "out.wasm");
}

const probeSource = join(dirname(fileURLToPath(import.meta.url)), "programs/probe.c");
let probe: Promise<Uint8Array> | undefined;
let probeMod: Promise<WebAssembly.Module> | undefined;
/**
 * programs/probe.c compiled by the seed clang on our host — once per source version: the wasm is
 * kept in the OS temp dir so the test files (separate processes) share one compile.
 */
export function probeWasm(): Promise<Uint8Array> {
  probe ??= (async () => {
    const src = readFileSync(probeSource, "utf8");
    const key = createHash("sha256").update(src).digest("hex").slice(0, 16);
    const cached = join(tmpdir(), `eka-runtime-probe-${key}.wasm`);
    if (!existsSync(cached)) {
      const bytes = await compileC({ "probe.c": src }, ["-O1"]);
      const tmp = `${cached}.${process.pid}`;
      writeFileSync(tmp, bytes);
      renameSync(tmp, cached);
    }
    return readFileSync(cached);
  })();
  return probe;
}

export function probeModule(): Promise<WebAssembly.Module> {
  probeMod ??= probeWasm().then((b) => WebAssembly.compile(b as Uint8Array<ArrayBuffer>));
  return probeMod;
}

export interface ProbeRun extends RunResult {
  /** The name=value lines of stdout. */
  values: Record<string, string>;
  text: string;
}

/** Runs `probe GROUP …` with `sb` at /sb (fd 3) and `other` at /other (fd 4). */
export async function runProbe(args: string[], sb: FileSystem, other: FileSystem = new MemoryFS(), extra: Partial<RunOptions> = {}): Promise<ProbeRun> {
  const r = await runWasi(await probeModule(), {
    args: ["probe", ...args],
    preopens: [
      { guest: "/sb", fs: sb },
      { guest: "/other", fs: other },
    ],
    ...extra,
  });
  const text = new TextDecoder().decode(r.stdout);
  const values: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) values[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return { ...r, values, text };
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** The WASI errno name a file-system call fails with, or undefined when it succeeds. */
export function errnoOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof FsError) return e.errno;
    throw e;
  }
  return undefined;
}
