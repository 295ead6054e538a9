// A temporary git repository of small C atoms (the shapes of examples/greet-lib, greet-app and
// hello): zlib ← png ← app (app links both), and hello. Tests commit changes to it and run
// `eka review` through bin/eka.js against one store per test file.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, existsSync, rmSync, writeFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const ROOT = join(import.meta.dirname, "../..");

export interface Fixture {
  tmp: string;
  repo: string;
  env: Record<string, string>;
  write(path: string, text: string): void;
  remove(path: string): void;
  move(from: string, to: string): void;
  /** Re-locks every atom that still parses (eka resolve) and commits; the commit's hash. */
  commit(message: string): Promise<string>;
  git(...args: string[]): string;
  eka(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }>;
}

export const ZLIB_TOML = (version: string) => `[atom]
id = "zlib"
version = "${version}"

[srcs.main]
path = "src"

[build]
kind = "c"
cflags = ["-O2"]

[build.lib.z]
sources = ["z.c"]
headers = ["z.h"]
`;

export const Z_C = (body = "return 13;") => `#include "z.h"\nint zver(void) { ${body} }\n`;

export const PNG_C = (body = "return 1600 + zver();") => `#include <z.h>\n#include "png.h"\nint pngver(void) { ${body} }\n`;

export const APP_C = (extra = "", use = "") => `#include <stdio.h>\n#include <png.h>\n${extra}\nint main(void) { printf("png %d\\n", pngver()${use}); return 0; }\n`;

export const appToml = (pngPath: string) => `[atom]
id = "app"
version = "0.1.0"

[srcs.main]
path = "src"

[deps.png]
path = "${pngPath}"
version = "^1.6"

[deps.zlib]
path = "../../libs/zlib"
version = "^1.3"

[build]
kind = "c"
cflags = ["-O2"]

[build.bin.app]
sources = ["main.c"]
link = ["from.png", "from.zlib"]
`;

export const pngToml = (zlibPath = "../zlib") => `[atom]
id = "png"
version = "1.6.0"

[srcs.main]
path = "src"

[deps.zlib]
path = "${zlibPath}"
version = "^1.3"

[build]
kind = "c"
cflags = ["-O2"]

[build.lib.png]
sources = ["png.c"]
headers = ["png.h"]
`;

export const helloToml = (id = "hello") => `[atom]
id = "${id}"
version = "1.0.0"

[srcs.main]
path = "src"

[build]
kind = "c"
cflags = ["-O2"]

[build.bin.${id}]
sources = ["${id}.c"]
`;

export function makeFixture(): Fixture {
  const tmp = mkdtempSync(join(tmpdir(), "eka-review-test-"));
  const repo = join(tmp, "repo");
  const env: Record<string, string> = { ...(process.env as Record<string, string>), EKA_STORE: join(tmp, "store"), EKA_CACHE: join(tmp, "cache"), EKA_DAEMON: "off", EKA_MIRRORS: "" };
  const git = (...args: string[]) => execFileSync("git", ["-C", repo, ...args], { encoding: "utf8", env: { ...env, GIT_AUTHOR_DATE: "2026-01-01T00:00:00Z", GIT_COMMITTER_DATE: "2026-01-01T00:00:00Z" } });
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), text);
  };
  const eka = (args: string[], cwd = repo) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const p = spawn(process.execPath, [join(ROOT, "bin/eka.js"), ...args], { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      p.stdout.on("data", (c: Buffer) => out.push(c));
      p.stderr.on("data", (c: Buffer) => err.push(c));
      p.on("error", reject);
      p.on("close", (status) => resolve({ status, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    });
  mkdirSync(repo, { recursive: true });
  git("init", "-q", "-b", "main");
  git("config", "user.email", "review@test");
  git("config", "user.name", "review test");
  write("libs/zlib/atom.toml", ZLIB_TOML("1.3.0"));
  write("libs/zlib/src/z.h", "#ifndef Z_H\n#define Z_H\nint zver(void);\n#endif\n");
  write("libs/zlib/src/z.c", Z_C());
  write("libs/png/atom.toml", pngToml());
  write("libs/png/src/png.h", "#ifndef PNG_H\n#define PNG_H\nint pngver(void);\n#endif\n");
  write("libs/png/src/png.c", PNG_C());
  write("apps/app/atom.toml", appToml("../../libs/png"));
  write("apps/app/src/main.c", APP_C());
  write("hello/atom.toml", helloToml());
  write("hello/src/hello.c", '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n');
  return {
    tmp,
    repo,
    env,
    write,
    remove: (path) => rmSync(join(repo, path), { recursive: true, force: true }),
    move: (from, to) => {
      mkdirSync(dirname(join(repo, to)), { recursive: true });
      renameSync(join(repo, from), join(repo, to));
    },
    git,
    eka: (args) => eka(args),
    async commit(message) {
      for (const dir of atomDirs(repo)) await eka(["resolve", dir]);
      git("add", "-A");
      git("commit", "-q", "-m", message);
      return git("rev-parse", "HEAD").trim();
    },
  };
}

function atomDirs(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (!e.isDirectory() || e.name.startsWith(".")) continue;
      const p = join(d, e.name);
      if (existsSync(join(p, "atom.toml"))) out.push(p);
      walk(p);
    }
  };
  walk(root);
  return out;
}
