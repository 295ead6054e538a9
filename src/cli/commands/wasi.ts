// Node-only: `eka wasi run`, a WASI preview1 command runner in the manner of `wasmtime run`.
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { isatty } from "node:tty";
import { EkaError } from "../../errors.ts";
import { checkImports, type Preopen, runWasi } from "../../runtime/index.ts";
import { NodeDirFS } from "../../runtime/nodefs.node.ts";
import { parseCommand, runSubcommand, UsageError, type Command } from "../args.ts";
import { readStdin, writeFd } from "../stdio.ts";

export const summary = "Run a WASI preview1 command (.wasm) with chosen directories and environment";

export const help = `Usage: eka wasi run [options] FILE.wasm [--] [ARGS…]

Runs a WebAssembly command built for WASI preview1 (wasm32-wasip1), like 'wasmtime run'.
stdin, stdout and stderr are passed through (output is written as the program writes it);
the program's exit code becomes eka's.

Options (before FILE.wasm; everything after it goes to the program):
  --dir HOST[::GUEST]  Give the program the host directory HOST, seen at GUEST (default: HOST
                       as written; '--dir .' makes relative paths in the program resolve in
                       the current directory). Repeatable. Nothing else on the host is visible.
  --readonly-dir HOST[::GUEST]  The same, read-only.
  --env K=V            Set an environment variable for the program (repeatable); '--env K'
                       passes eka's own K, if set. The program sees no other variables.
  --argv0 NAME         The program's argv[0] (default: FILE.wasm as given); multi-call
                       binaries such as the seed pick their tool by it.
  --deterministic      Clocks start at SOURCE_DATE_EPOCH (from eka's environment, default 0)
                       and advance 1 µs per reading; random bytes come from a fixed seed.
  -h, --help           Show this help.

Examples:
  eka wasi run hello.wasm
  eka wasi run --dir . --env LANG=C tool.wasm -- -o out.txt in.txt
  eka wasi run --dir /tmp/data::/data sqlite.wasm /data/db.sqlite
  eka wasi run --argv0 clang node_modules/@yowasp/clang/gen/llvm.core.wasm --version
`;

const options = {
  dir: { type: "string", multiple: true },
  "readonly-dir": { type: "string", multiple: true },
  env: { type: "string", multiple: true },
  argv0: { type: "string" },
  deterministic: { type: "boolean" },
} as const;

export const subcommands: Readonly<Record<string, Command>> = { run: { summary, help, run: runCommand } };

export function run(argv: string[]): Promise<number> {
  return runSubcommand("eka wasi", help, subcommands, argv);
}

async function runCommand(argv: string[]): Promise<number> {
  // Options end at the first positional (the module): the rest are the program's own arguments.
  const { values, positionals } = parseCommand({ command: "eka wasi run", help, options, args: { name: "FILE.wasm", min: 1, max: Infinity }, passOn: "positional" }, argv);
  const [file, ...guestArgs] = positionals as [string, ...string[]];
  if (guestArgs[0] === "--") guestArgs.shift();

  const module = await loadModule(file);
  checkImports(module);
  const preopens: Preopen[] = [];
  for (const [spec, readonly] of [...(values.dir ?? []).map((d) => [d, false] as const), ...(values["readonly-dir"] ?? []).map((d) => [d, true] as const)]) {
    const [host, guest = host] = spec.split("::") as [string, string?];
    preopens.push({ guest, fs: openDir(host, readonly) });
  }
  const env: Record<string, string> = {};
  for (const kv of values.env ?? []) {
    const eq = kv.indexOf("=");
    if (eq === 0 || kv === "") throw new UsageError("eka wasi run", `--env '${kv}' must look like NAME=VALUE or NAME`);
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
    else if (process.env[kv] !== undefined) env[kv] = process.env[kv];
  }
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (values.deterministic && epoch !== undefined && !/^\d+$/.test(epoch)) {
    throw new UsageError("eka wasi run", `SOURCE_DATE_EPOCH='${epoch}' is not a whole number of seconds`);
  }
  const result = await runWasi(module, {
    args: [values.argv0 ?? file, ...guestArgs],
    env,
    preopens,
    stdin: readStdin,
    stdout: (b) => writeFd(1, b),
    stderr: (b) => writeFd(2, b),
    // isatty() on the fds: touching process.stdin would create a stream (and make a pipe non-blocking).
    tty: { stdin: isatty(0), stdout: isatty(1), stderr: isatty(2) },
    ...(values.deterministic ? { deterministic: { epochNs: BigInt(epoch ?? "0") * 1_000_000_000n, seed: 0 } } : {}),
  });
  return result.exitCode;
}

async function loadModule(file: string): Promise<WebAssembly.Module> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new EkaError("E_WASI_FILE", code === "ENOENT" ? `'${file}' does not exist` : `cannot read '${file}': ${(e as Error).message}`);
  }
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new EkaError("E_WASI_NOT_WASM", `'${file}' is not a WebAssembly module (it does not start with '\\0asm')`);
  }
  try {
    return await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  } catch (e) {
    throw new EkaError("E_WASI_NOT_WASM", `'${file}' is not a valid WebAssembly module: ${(e as Error).message}`);
  }
}

function openDir(host: string, readonly: boolean): NodeDirFS {
  const abs = resolve(host);
  let isDir = false;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {
    throw new EkaError("E_WASI_DIR", `--dir '${host}': no such directory`);
  }
  if (!isDir) throw new EkaError("E_WASI_DIR", `--dir '${host}' is not a directory`);
  return new NodeDirFS(abs, { readonly });
}
