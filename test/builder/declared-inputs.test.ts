// What a build step can see, as a user meets it through the real CLI on a real directory store:
// only the files its action key covers (so an edit can never be answered by a stale cached
// result), no host path by an absolute #include/#embed, and symlinks in a source tree kept as
// links that lead nowhere outside the sandbox.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runEka } from "../helpers/spawn.ts";

let root = "";
const eka = (cwd: string, args: string[]) =>
  runEka(join(__dirname, "../../bin/eka.js"), args, { cwd, env: { ...process.env, EKA_STORE: join(root, "store"), EKA_CACHE: join(root, "cache") } });

function atom(name: string, headers: string, files: Record<string, string>, cflags = `["-O0"]`): string {
  const dir = join(root, name);
  for (const [p, text] of Object.entries({ ...files, "atom.toml": `[atom]\nid = "${name}"\nversion = "1.0.0"\n\n[srcs.main]\npath = "src"\n\n[build]\nkind = "c"\nsrc = "main"\ncflags = ${cflags}\nheaders = ${headers}\n\n[build.bin.${name}]\nsources = ["main.c"]\n` })) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

/** A failed build: exit 1, E_BUILD_FAILED naming the step and `what`; the store as it was and verify clean. */
async function failsCleanly(dir: string, what: RegExp): Promise<void> {
  // The seed is imported by the first build that needs it; nothing else may be added.
  const ls = async () => (await eka(root, ["store", "ls"])).stdout.split("\n").filter((l) => !l.includes("-llvm-seed-"));
  const before = await ls();
  const r = await eka(dir, ["build", "--no-progress"]);
  expect(r.status, r.stderr).toBe(1);
  expect(r.stderr).toMatch(/^eka: error\[E_BUILD_FAILED\]: \S+: step 'cc:[^']+\/main\.c' failed/);
  expect(r.stderr).toMatch(what);
  expect(await ls()).toEqual(before);
  const v = await eka(root, ["store", "verify"]);
  expect(v.status, v.stderr).toBe(0);
}

beforeAll(async () => {
  root = realpathSync(mkdtempSync(join(tmpdir(), "eka-declared-")));
  writeFileSync(join(root, "f.txt"), "x\n");
  expect((await eka(root, ["store", "add", join(root, "f.txt")])).status).toBe(0);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("a step sees only what its action key covers", () => {
  it("an undeclared header is not there; once declared, an edit of it rebuilds", async () => {
    const main = `#include <stdio.h>\n#include "msg.h"\n#include "extra.h"\nint main(void) { puts(MSG EXTRA); return 0; }\n`;
    const dir = atom("app", `["msg.h"]`, { "src/main.c": main, "src/msg.h": `#define MSG "one"\n`, "src/extra.h": `#define EXTRA "-a"\n` });
    // Before, extra.h was visible but not in the key: an edit of it could be served the old object.
    await failsCleanly(dir, /'extra\.h' file not found/);
    writeFileSync(join(dir, "atom.toml"), writeHeaders(dir, `["*.h"]`));
    const first = await eka(dir, ["run"]);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toBe("one-a\n");
    writeFileSync(join(dir, "src/extra.h"), `#define EXTRA "-b"\n`);
    expect((await eka(dir, ["run"])).stdout).toBe("one-b\n");
    // Back to the first bytes: the cached action answers, with the first output.
    writeFileSync(join(dir, "src/extra.h"), `#define EXTRA "-a"\n`);
    expect((await eka(dir, ["run"])).stdout).toBe("one-a\n");
  }, 120_000);

  it("another source's file, named by its absolute guest path, is not there unless declared", async () => {
    const dir = atom("cross", `["*.h"]`, { "src/main.c": `#include "/build/other/o.h"\nint main(void) { return O; }\n`, "other/o.h": "#define O 0\n" });
    writeFileSync(join(dir, "atom.toml"), writeHeaders(dir, `["*.h"]`).replace(`[build]`, `[srcs.other]\npath = "other"\n\n[build]`));
    await failsCleanly(dir, /'\/build\/other\/o\.h' file not found/);
    writeFileSync(join(dir, "atom.toml"), writeHeaders(dir, `["*.h", "/build/other/*.h"]`));
    expect((await eka(dir, ["build", "--no-progress"])).status).toBe(0);
  }, 60_000);
});

describe("the host stays out of a build", () => {
  it("an absolute #include or #embed of a host file finds nothing", async () => {
    writeFileSync(join(root, "host-secret.h"), "#define SECRET 1\n");
    const inc = atom("inc", `["*.h"]`, { "src/main.c": `#include "${join(root, "host-secret.h")}"\nint main(void) { return SECRET; }\n` });
    await failsCleanly(inc, /host-secret\.h' file not found/);
    const emb = atom("emb", `["*.h"]`, { "src/main.c": `static const char s[] = {\n#embed "${join(root, "host-secret.h")}"\n};\nint main(void) { return s[0]; }\n` }, `["-O0", "-std=c23"]`);
    await failsCleanly(emb, /host-secret\.h' file not found/);
  }, 60_000);

  it("symlinks in a source tree stay links: one inside works, ones leading out lead nowhere", async () => {
    const dir = atom("links", `["**/*.h"]`, { "src/main.c": `#include <stdio.h>\n#include "alias.h"\nint main(void) { puts(GREETING); return 0; }\n`, "src/real.h": `#define GREETING "via a link"\n` });
    symlinkSync("real.h", join(dir, "src/alias.h"));
    const ok = await eka(dir, ["run"]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toBe("via a link\n");
    symlinkSync(join(root, "host-secret.h"), join(dir, "src/abs.h"));
    symlinkSync("../../../../../../../../../.." + join(root, "host-secret.h"), join(dir, "src/up.h"));
    for (const h of ["abs.h", "up.h"]) {
      writeFileSync(join(dir, "src/main.c"), `#include "${h}"\nint main(void) { return SECRET; }\n`);
      await failsCleanly(dir, new RegExp(`'${h.replace(".", "\\.")}' file not found|${h.replace(".", "\\.")}.*(not capable|Capabilities insufficient|[Pp]ermission denied|[Nn]o such file)`));
    }
  }, 120_000);
});

function writeHeaders(dir: string, headers: string): string {
  const text = spawnSync("cat", [join(dir, "atom.toml")], { encoding: "utf8" }).stdout;
  return text.replace(/^headers = .*$/m, `headers = ${headers}`);
}
