// Node: the checks of a stage-1 wasi-libc, as upstream's Makefile (check-symbols) makes them, run
// with the seed's own tools on the built sysroot: the symbols it defines and the ones it needs
// against upstream's expected lists (installed beside it, share/wasm32-wasip1/expected), the
// all-headers file compiled, and a program linked against it that must run and print.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { seedFiles } from "../bootstrap/seed.node.ts";
import { MemoryFS, runWasi, writeFile, readFile, type FileSystem } from "../runtime/index.ts";
import { compileModule } from "../runtime/modules.ts";
import { NodeDirFS } from "../runtime/nodefs.node.ts";
import type { NodeStore } from "../store/open.node.ts";
import { compile, runTool, type SeedRunOptions } from "../toolchains/clang/host.ts";
import { seedModule, sysrootDir } from "../toolchains/clang/seed.node.ts";

export interface CheckResult {
  what: string;
  ok: boolean;
  /** On failure: the first differences, or the tool's output. */
  detail?: string;
}

const SYSROOT = "/stage1";
const LIB = `${SYSROOT}/lib/wasm32-wasip1`;
const EXPECTED = "share/wasm32-wasip1/expected";
/**
 * Undefined symbols newer LLVM adds to upstream's list: the linker-made function table, which
 * clang since LLVM 19 references from objects that take a function's address (upstream's lists
 * made with LLVM 14 predate it; wasi-libc's later lists have it too).
 */
export const NEWER_LLVM_UNDEFINED = ["__indirect_function_table"];

export async function libcChecks(store: NodeStore, storePath: string): Promise<CheckResult[]> {
  const dir = store.materialize(storePath);
  const seed = seedFiles();
  const [{ module }, sysroot] = await Promise.all([seedModule(seed.wasm), sysrootDir(seed.resources)]);
  const work = new MemoryFS();
  const opts: SeedRunOptions = {
    module,
    sysroot: new NodeDirFS(sysroot, { readonly: true }) as FileSystem,
    mounts: [
      { guest: SYSROOT, fs: new NodeDirFS(dir, { readonly: true }) as FileSystem },
      { guest: "/work", fs: work as FileSystem },
    ],
    cwd: "/work",
  };
  const expected = (f: string) => readFileSync(join(dir, EXPECTED, f), "utf8");
  const libFiles = readdirSync(join(dir, "lib/wasm32-wasip1")).sort();
  const pick = (re: RegExp) => libFiles.filter((f) => re.test(f)).map((f) => `${LIB}/${f}`);
  const nm = async (flag: string, files: string[]) => {
    const r = await runTool("llvm-nm", [flag, ...files], opts);
    if (r.exitCode !== 0) throw new Error(`llvm-nm ${flag} failed: ${new TextDecoder().decode(r.stderr)}`);
    return new TextDecoder().decode(r.stdout).split("\n");
  };

  // Makefile: nm --defined-only libc.a libwasi-emulated-*.a *.o | grep ' [[:upper:]] ' | sed … | LC_ALL=C sort
  const definedLines = await nm("--defined-only", pick(/^(libc\.a|libwasi-emulated-.*\.a|.*\.o)$/));
  const defined = symbols(definedLines, / [A-Z] (\S+)$/).sort(byteOrder);
  const wantDefined = lines(expected("defined-symbols.txt"));
  // Makefile: each ' U ' symbol of libc.a libc-*.a *.o that no defined line holds as a word, but __mul*.
  const undefinedLines = await nm("--undefined-only", pick(/^(libc\.a|libc-.*\.a|.*\.o)$/));
  const definedText = defined.join("\n");
  const undef = [...new Set(symbols(undefinedLines, / U (\S+)$/))]
    .sort(byteOrder)
    .filter((s) => !new RegExp(`(^|[^A-Za-z0-9_])${s.replace(/[.$]/g, "\\$&")}([^A-Za-z0-9_]|$)`, "m").test(definedText) && !s.startsWith("__mul"));
  const wantUndef = [...lines(expected("undefined-symbols.txt")), ...NEWER_LLVM_UNDEFINED].sort(byteOrder);

  const results: CheckResult[] = [
    listCheck(`${defined.length} defined symbols = upstream's expected/defined-symbols.txt`, defined, wantDefined),
    listCheck(`${undef.length} undefined symbols = upstream's expected/undefined-symbols.txt + ${NEWER_LLVM_UNDEFINED.join(", ")}`, undef, wantUndef),
  ];

  // Makefile: $(CC) $(CFLAGS) -fsyntax-only include-all.c -Wno-#warnings
  const flags = ["--target=wasm32-wasip1", `--sysroot=${SYSROOT}`, "-isystem", `${SYSROOT}/include`, "-Wall", "-Wextra", "-Werror", "-Wno-#warnings", "-Wno-unknown-warning-option"];
  const syntax = await compile([...flags, "-fsyntax-only", `${SYSROOT}/${EXPECTED}/include-all.c`], opts);
  results.push({ what: "include-all.c (every public header) compiles", ok: syntax.exitCode === 0, ...(syntax.exitCode ? { detail: text(syntax.stderr) } : {}) });

  writeFile(work, "hello.c", new TextEncoder().encode(HELLO));
  const link = await compile(["--target=wasm32-wasip1", `--sysroot=${SYSROOT}`, "-O2", "hello.c", "-o", "hello.wasm"], opts);
  let ran: CheckResult = { what: "a program linked against it runs", ok: false, detail: text(link.stderr) };
  if (link.exitCode === 0) {
    const { module: hello } = await compileModule(readFile(work, "hello.wasm"));
    const r = await runWasi(hello, { args: ["hello", "stage", "one"], env: {}, deterministic: {} });
    const out = text(r.stdout);
    ran = { what: "a program linked against it runs", ok: r.exitCode === 0 && out === HELLO_OUT, ...(out === HELLO_OUT ? {} : { detail: `printed ${JSON.stringify(out)}, exit ${r.exitCode}` }) };
  }
  results.push(ran);
  return results;
}

const HELLO = `#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
  char *s = strdup(argv[1]);
  printf("%s %s: %d args, %.2f, %s\\n", s, argv[2], argc, atof("2.50") * 2, strerror(ENOENT));
  free(s);
  return 0;
}
`;
const HELLO_OUT = "stage one: 3 args, 5.00, No such file or directory\n";

function listCheck(what: string, got: string[], want: string[]): CheckResult {
  const g = new Set(got);
  const w = new Set(want);
  const missing = want.filter((s) => !g.has(s));
  const extra = got.filter((s) => !w.has(s));
  if (missing.length === 0 && extra.length === 0 && got.length === want.length) return { what, ok: true };
  const show = (xs: string[]) => xs.slice(0, 8).join(", ") + (xs.length > 8 ? `, … (${xs.length})` : "");
  return { what, ok: false, detail: [missing.length ? `missing: ${show(missing)}` : "", extra.length ? `unexpected: ${show(extra)}` : "", got.length !== want.length ? `${got.length} lines, expected ${want.length}` : ""].filter(Boolean).join("; ") };
}

/** The symbol names of nm's lines that `re` (one group: the name) matches. */
const symbols = (nmLines: string[], re: RegExp) => nmLines.flatMap((l) => re.exec(l)?.[1] ?? []);
const lines = (s: string) => s.split("\n").map((l) => l.trim()).filter(Boolean);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
/** LC_ALL=C sort: by bytes (code units, for these ASCII names). */
const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
