// Writes bootstrap/wasi-libc/atom.toml from wasi-libc's own Makefile: the source lists, the header
// lists and the flags are what upstream's `make` would use (asked of make itself, through a
// print rule), turned into eka's C builder tables. The per-group flags are the Makefile's
// target-specific CFLAGS, transcribed below with the Makefile lines they come from.
//
//   node --import tsx scripts/wasi-libc-atom.ts [--check]
//
// Needs the pinned tarball in the mirror (scripts/fill-mirror.sh), GNU make and tar. --check
// compares instead of writing and exits 1 when the committed atom differs.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const here = new URL("..", import.meta.url).pathname;
const atomFile = join(here, "bootstrap/wasi-libc/atom.toml");
const TARBALL = "wasi-libc_0.0~git20220510.9886d3d.orig.tar.xz";
const SHA256 = "8f9b802736a856942839d32966937c389f46e9f156415a549a6675b7535e5f74";
const cache = process.env.EKA_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? "", ".cache"), "eka");
const tarball = join(cache, "mirror/sha256", SHA256);
if (!existsSync(tarball)) {
  console.error(`wasi-libc-atom: ${tarball} is missing; run scripts/fill-mirror.sh first`);
  process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), "wasi-libc-atom-"));
try {
  execFileSync("tar", ["xf", tarball, "-C", work, "--strip-components=1"]);
  writeFileSync(join(work, "print.mk"), "print-%: ; @echo $($*)\n");
  const make = (v: string): string[] =>
    execFileSync("make", ["-s", "-C", work, "-f", "Makefile", "-f", "print.mk", `print-${v}`], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map((p) => (p.startsWith(work + "/") ? p.slice(work.length + 1) : p.replace(/^"|"$/g, "")));
  const text = render(work, make);
  if (process.argv.includes("--check")) {
    const same = existsSync(atomFile) && readFileSync(atomFile, "utf8") === text;
    console.log(same ? `${relative(here, atomFile)} matches wasi-libc's Makefile` : `${relative(here, atomFile)} differs from what wasi-libc's Makefile gives; run scripts/wasi-libc-atom.ts`);
    process.exitCode = same ? 0 : 1;
  } else {
    writeFileSync(atomFile, text);
    console.log(`wrote ${relative(here, atomFile)}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

function filesUnder(root: string, dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(join(root, d)).sort()) {
      const p = d ? `${d}/${name}` : name;
      if (statSync(join(root, p)).isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out.map((p) => p.slice(dir.length + 1));
}

function render(work: string, make: (v: string) => string[]): string {
  // `find` order is the file system's; eka sorts each find list (chdir.c stays last, as the Makefile
  // puts it on purpose). $(wildcard) lists come sorted from GNU make 4.3.
  const bottom = make("LIBC_BOTTOM_HALF_ALL_SOURCES");
  const chdir = bottom.filter((f) => f.endsWith("/sources/chdir.c"));
  const bottomSorted = [...bottom.filter((f) => !chdir.includes(f)).sort(), ...chdir];
  const printscan = make("MUSL_PRINTSCAN_SOURCES");
  const top = make("LIBC_TOP_HALF_ALL_SOURCES");
  const topSources = make("LIBC_TOP_HALF_SOURCES")[0] as string;
  const topSorted = [...top.filter((f) => !f.startsWith(topSources + "/")), ...top.filter((f) => f.startsWith(topSources + "/")).sort()];

  // CFLAGS of the Makefile (EXTRA_CFLAGS, the target, the warnings, the thread model) with three
  // changes: the target is cbuild's (wasm32-wasip1: clang 22 rejects the old name under -Werror),
  // the sysroot being built is $out (so the seed's own libc headers are never seen), and clang 22's
  // new -Wunterminated-string-initialization is off (musl's digit tables are sized to drop the NUL).
  const base = make("CFLAGS")
    .filter((f) => !f.startsWith("--target=") && f !== "-isystem" && f !== "sysroot/include")
    .concat(["-Wno-unterminated-string-initialization", "--sysroot=$out", "-isystem", "$out/include"]);
  const m = (d: string) => make(d)[0] as string;
  // -I paths as the sandbox has them: the source unpacked at /build/wasi-libc (compiles run in /build).
  const inc = (d: string) => `-I\${get.wasi-libc}/${d}`;
  const musl = m("LIBC_TOP_HALF_MUSL_DIR");
  // Makefile: startup_files $(LIBC_BOTTOM_HALF_ALL_OBJS): CFLAGS += …
  const bottomFlags = [inc(m("LIBC_BOTTOM_HALF_HEADERS_PRIVATE")), inc(m("LIBC_BOTTOM_HALF_CLOUDLIBC_SRC_INC")), inc(m("LIBC_BOTTOM_HALF_CLOUDLIBC_SRC"))];
  // Makefile: $(LIBC_TOP_HALF_ALL_OBJS) … $(LIBWASI_EMULATED_SIGNAL_MUSL_OBJS): CFLAGS += …
  const topFlags = [
    inc(`${musl}/src/include`), inc(`${musl}/src/internal`), inc(`${musl}/arch/wasm32`), inc(`${musl}/arch/generic`), inc(m("LIBC_TOP_HALF_HEADERS_PRIVATE")),
    "-Wno-parentheses", "-Wno-shift-op-parentheses", "-Wno-bitwise-op-parentheses", "-Wno-logical-op-parentheses", "-Wno-string-plus-int", "-Wno-dangling-else", "-Wno-unknown-pragmas",
  ];
  const printscanDefines = { __wasilibc_printscan_no_long_double: true, __wasilibc_printscan_full_support_option: '"add -lc-printscan-long-double to the link command"' };
  const noFloatDefines = { __wasilibc_printscan_no_floating_point: true, __wasilibc_printscan_floating_point_support_option: '"remove -lc-printscan-no-floating-point from the link command"' };

  // Headers: the include_dirs rule copies four trees into one (later copies win), adds the
  // generated bits/alltypes.h and removes MUSL_OMIT_HEADERS. Each file is installed once, from the
  // copy that wins.
  const omit = new Set(make("MUSL_OMIT_HEADERS"));
  const trees = [
    { name: "public", from: m("LIBC_BOTTOM_HALF_HEADERS_PUBLIC"), to: "" },
    { name: "musl", from: m("LIBC_TOP_HALF_MUSL_INC"), to: "" },
    { name: "generic-bits", from: `${musl}/arch/generic/bits`, to: "bits" },
    { name: "wasm32-bits", from: `${musl}/arch/wasm32/bits`, to: "bits" },
  ].map((t) => ({ ...t, files: filesUnder(work, t.from) }));
  const winner = new Map<string, string>();
  for (const t of trees) for (const f of t.files) winner.set(t.to ? `${t.to}/${f}` : f, t.name);
  winner.set("bits/alltypes.h", "alltypes");
  for (const o of omit) winner.delete(o);

  const L: string[] = [];
  const q = (s: string) => JSON.stringify(s);
  const list = (xs: string[], indent = "  ") => (xs.length <= 3 ? `[${xs.map(q).join(", ")}]` : `[\n${xs.map((x) => `${indent}${q(x)},`).join("\n")}\n]`);
  const defs = (d: Record<string, string | boolean>) => `{ ${Object.entries(d).map(([k, v]) => `${k} = ${typeof v === "string" ? `'${v}'` : v}`).join(", ")} }`;
  const obj = (name: string, sources: string[], cflags: string[], extra: string[] = []) => {
    L.push(`[build.obj.${name}]`, `installed-headers = true`, ...extra, `cflags = ${list([...base, ...cflags])}`, `sources = ${list(sources)}`, "");
  };

  L.push(
    "# Stage 1 of eka's bootstrap: wasi-libc built from source by the seed's clang, installed as a sysroot",
    "# (include/, lib/wasm32-wasip1/{crt1*.o, libc.a, libc-printscan-*.a, libwasi-emulated-*.a} and the",
    "# empty libm.a and friends). Written by scripts/wasi-libc-atom.ts from wasi-libc's own Makefile:",
    "# edit the script, not this file. Packages build against it with --libc=wasi-libc.",
    "[atom]",
    'id = "wasi-libc"',
    'version = "0.0.0-git20220510.9886d3d"',
    'description = "wasi-libc (Debian source 0.0~git20220510.9886d3d-2), the C library of WASI programs, built from source"',
    "",
    "[srcs.wasi-libc]",
    `url = "https://deb.debian.org/debian/pool/main/w/wasi-libc/${TARBALL}"`,
    `hash = "sha256:${SHA256}"`,
    "",
    "# mkalltypes.c: musl's tools/mkalltypes.sed as a C program (the sandbox has no sed).",
    "[srcs.tools]",
    'path = "tools"',
    "",
    "[build]",
    'kind = "c"',
    'src = "wasi-libc"',
    "# What a compile may #include from the source tree (the public headers come from $out/include);",
    "# dlmalloc.c includes malloc.c.",
    `headers = ${list(["dlmalloc/include/*.h", "dlmalloc/src/malloc.c", "libc-bottom-half/headers/private/**/*.h", "libc-bottom-half/cloudlibc/src/**/*.h", "libc-top-half/headers/private/**/*.h", `${musl}/src/**/*.h`, `${musl}/include/**/*.h`, `${musl}/arch/wasm32/**/*.h`, `${musl}/arch/generic/**/*.h`])}`,
    'libdir = "lib/wasm32-wasip1"',
    "# Makefile 'finish': empty placeholder libraries, so -lm, -lpthread … link.",
    `empty-libs = ${list(["m", "rt", "pthread", "crypt", "util", "xnet", "resolv", "dl"])}`,
    "",
    "[build.tool.mkalltypes]",
    'sources = ["${get.tools}/mkalltypes.c"]',
    "",
    "[build.run.alltypes]",
    'tool = "mkalltypes"',
    `args = ["-o", "$out/include/bits/alltypes.h", "${musl}/arch/wasm32/bits/alltypes.h.in", "${musl}/include/alltypes.h.in"]`,
    `inputs = ["${musl}/arch/wasm32/bits/alltypes.h.in", "${musl}/include/alltypes.h.in"]`,
    'outputs = ["$out/include/bits/alltypes.h"]',
    "",
  );
  for (const t of trees) {
    const files = t.files.filter((f) => winner.get(t.to ? `${t.to}/${f}` : f) === t.name);
    L.push(`[build.install.${t.name}]`, `from = ${q(t.from)}`, `to = ${q(t.to ? `include/${t.to}` : "include")}`, `files = ${list(files)}`, "");
  }
  L.push(
    "# Upstream's expected lists (defined and undefined symbols, the all-headers file, predefined",
    "# macros), installed beside the sysroot: what `eka bootstrap` checks the build against.",
    "[build.install.expected]",
    'from = "expected/wasm32-wasi"',
    'to = "share/wasm32-wasip1/expected"',
    `files = ${list(filesUnder(work, "expected/wasm32-wasi"))}`,
    "",
    "# Makefile 'startup_files': crt1*.o, installed as they are.",
  );
  obj("crt", make("LIBC_BOTTOM_HALF_CRT_SOURCES"), bottomFlags, ["install = true"]);
  L.push("# Makefile LIBC_OBJS: dlmalloc, the bottom half (cloudlibc and WASI's own) and the top half (musl).");
  obj("dlmalloc", make("DLMALLOC_SOURCES"), [inc(m("DLMALLOC_INC"))]);
  obj("bottom", bottomSorted, bottomFlags);
  obj("top", topSorted.filter((f) => !printscan.includes(f)), topFlags);
  L.push("# MUSL_PRINTSCAN_OBJS: in libc.a, printf and scanf without long double.");
  obj("printscan", printscan, topFlags, [`defines = ${defs(printscanDefines)}`]);
  obj("printscan-long-double", printscan, topFlags);
  obj("printscan-no-floating-point", printscan, topFlags, [`defines = ${defs(noFloatDefines)}`]);
  obj("emulated-mman", make("LIBWASI_EMULATED_MMAN_SOURCES"), []);
  obj("emulated-process-clocks", make("LIBWASI_EMULATED_PROCESS_CLOCKS_SOURCES"), [inc(m("LIBC_BOTTOM_HALF_CLOUDLIBC_SRC"))]);
  obj("emulated-getpid", make("LIBWASI_EMULATED_GETPID_SOURCES"), []);
  obj("emulated-signal", make("LIBWASI_EMULATED_SIGNAL_SOURCES"), []);
  obj("emulated-signal-musl", make("LIBWASI_EMULATED_SIGNAL_MUSL_SOURCES"), topFlags, ["defines = { _WASI_EMULATED_SIGNAL = true }"]);
  const lib = (name: string, objs: string[]) => L.push(`[build.lib.${name}]`, `objs = ${list(objs)}`, "");
  lib("c", ["dlmalloc", "bottom", "top", "printscan"]);
  lib("c-printscan-long-double", ["printscan-long-double"]);
  lib("c-printscan-no-floating-point", ["printscan-no-floating-point"]);
  lib("wasi-emulated-mman", ["emulated-mman"]);
  lib("wasi-emulated-process-clocks", ["emulated-process-clocks"]);
  lib("wasi-emulated-getpid", ["emulated-getpid"]);
  lib("wasi-emulated-signal", ["emulated-signal", "emulated-signal-musl"]);
  return L.join("\n").replace(/\n+$/, "\n");
}
