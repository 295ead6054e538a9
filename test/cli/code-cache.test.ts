// bin/eka.js compiles the CLI bundle with a V8 code cache kept in $EKA_CACHE/v8, one per command:
// written after a command that succeeded, reused (not rewritten) while it fits, and a corrupt or
// foreign one is ignored. Spawned `node bin/eka.js`, a temp cache directory.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";

const EKA = join(__dirname, "../../bin/eka.js");
let cache = "";

const eka = (...args: string[]) => spawnSync(process.execPath, [EKA, ...args], { env: { ...process.env, EKA_CACHE: cache, EKA_STORE: "memory:" }, encoding: "utf8" });
const files = () => {
  try {
    return readdirSync(join(cache, "v8")).sort();
  } catch {
    return [];
  }
};
const only = (suffix: string) => {
  const f = files().find((n) => n.endsWith(suffix));
  if (!f) throw new Error(`no cache file *${suffix} among ${files().join(", ")}`);
  return join(cache, "v8", f);
};

beforeEach(() => {
  cache = mkdtempSync(join(tmpdir(), "eka-code-cache-"));
});

describe("the CLI's V8 code cache", () => {
  it("is written once per command after a run that succeeded, then reused as it is", () => {
    expect(eka("--version").stdout).toBe("eka 0.1.0\n");
    const file = only("-other.bin");
    expect(readFileSync(file, "latin1").split("\n")[0]).toMatch(new RegExp(`^eka code cache 1 ${process.version} ${process.arch} .*cli\\.cjs \\d+ [\\d.]+ \\d+$`));
    const before = statSync(file);
    expect(eka("--version").status).toBe(0);
    const after = statSync(file);
    // Not rewritten: V8 accepted it.
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);

    expect(eka("build", "--help").status).toBe(0);
    expect(files().filter((f) => f.endsWith("-build-help.bin"))).toHaveLength(1);
    // A failed command leaves no cache behind that would hold only its error path.
    expect(eka("build", join(cache, "no-such-atom")).status).toBe(1);
    expect(files().some((f) => f.endsWith("-build.bin"))).toBe(false);
  });

  it("ignores a corrupt cache or one made for another bundle, and replaces it", () => {
    expect(eka("--version").status).toBe(0);
    const file = only("-other.bin");
    const header = readFileSync(file, "latin1").split("\n")[0] as string;

    writeFileSync(file, Buffer.concat([Buffer.from(`${header}\n`, "latin1"), Buffer.alloc(4096, 0xa5)]));
    expect(eka("--version").stdout).toBe("eka 0.1.0\n");
    expect(statSync(file).size).toBeGreaterThan(4096 + header.length + 1);

    const good = readFileSync(file);
    writeFileSync(file, Buffer.concat([Buffer.from(header.replace(/ \d+ ([\d.]+) (\d+)$/, " 1 $1 $2"), "latin1"), good.subarray(header.length)]));
    expect(eka("--version").stdout).toBe("eka 0.1.0\n");
    expect(readFileSync(file, "latin1").split("\n")[0]).toBe(header);
  });
});
