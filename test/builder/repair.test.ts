// A build never reports "done" over damaged output: `eka build` of an atom whose output object is
// missing or of the wrong size rebuilds and mends it (and says so), `--repair` re-hashes to find a
// same-size corruption, `--check` mends from its rebuild, and `eka store repair` points to them
// when nothing else has the bytes. The real CLI, a real directory store, examples/hello.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBlake3 } from "../../src/util/blake3.ts";
import { digestOf, removeReadOnlyTree } from "../../src/store/index.node.ts";
import { runEka } from "../helpers/spawn.ts";

const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "eka-build-repair-")));
const atom = path.join(tmp, "hello");
const store = path.join(tmp, "store");
const result = path.join(tmp, "result");
const env = { ...process.env, EKA_STORE: store, EKA_CACHE: path.join(tmp, "cache"), EKA_WORKERS: "0" };
let storePath = "";
let wasm = new Uint8Array();
let blob = "";

async function eka(args: string[]) {
  const r = await runEka("bin/eka.js", args, { env });
  return { status: r.status, out: r.stdout.trim(), err: r.stderr };
}

beforeAll(async () => {
  await initBlake3();
  fs.cpSync(path.resolve("examples/hello"), atom, { recursive: true });
  const b = await eka(["build", atom, "-o", result, "--no-progress"]);
  expect(b.status, b.err).toBe(0);
  storePath = b.out;
  wasm = fs.readFileSync(path.join(result, "bin/hello.wasm"));
  const d = digestOf(wasm);
  blob = path.join(store, "objects", "blob", d.slice(0, 2), d);
}, 300_000);
afterAll(() => removeReadOnlyTree(tmp));

/** What a user sees of the store: verify's verdict. */
const verifyStatus = async () => (await eka(["store", "verify"])).status;

function corrupt(how: "flip" | "truncate" | "delete"): void {
  if (how === "delete") return fs.rmSync(blob);
  const b = Buffer.from(wasm);
  fs.chmodSync(blob, 0o644);
  if (how === "flip") {
    b[100] = (b[100] as number) ^ 1;
    fs.writeFileSync(blob, b);
  } else fs.writeFileSync(blob, b.subarray(0, 1000));
}

const mended = () => expect(digestOf(fs.readFileSync(blob))).toBe(path.basename(blob));

describe("eka build over damaged output", () => {
  it("-o result points at a read-only checkout that verify covers", async () => {
    expect(fs.lstatSync(path.join(result, "bin")).mode & 0o777).toBe(0o555);
    expect(fs.lstatSync(path.join(result, "bin/hello.wasm")).mode & 0o777).toBe(0o444);
    expect((await eka(["store", "verify"])).out).toMatch(/^2 paths, \d+ objects re-hashed, 2 checkouts compared: ok$/);
  });

  for (const how of ["delete", "truncate"] as const) {
    it(`an output object that was ${how === "delete" ? "deleted" : "truncated"} is rebuilt and mended, and the build says so`, async () => {
      corrupt(how);
      expect(await verifyStatus()).toBe(1);
      const b = await eka(["build", atom, "--no-progress"]);
      expect(b.status, b.err).toBe(0);
      expect(b.out).toBe(storePath);
      expect(b.err).toBe(`repaired ${storePath}: rebuilt it to mend bin/hello.wasm, whose objects in the store were damaged\n`);
      mended();
      expect(await verifyStatus()).toBe(0);
      // And the next build is a no-op again.
      expect(await eka(["build", atom, "--no-progress"])).toMatchObject({ status: 0, out: storePath, err: "" });
    }, 300_000);
  }

  it("progress shows the repair as it starts, naming the file and what is wrong", async () => {
    corrupt("delete");
    const b = await eka(["build", atom]);
    expect(b.status, b.err).toBe(0);
    expect(b.err).toMatch(new RegExp(`repairing hello-1\\.0\\.0, found damaged in the store: ${storePath}/bin/hello\\.wasm: its contents are missing \\(blob [0-9a-f]{64}\\)`));
    mended();
  }, 300_000);

  it("a same-size corruption: the no-op build does not re-hash, --repair does and mends it", async () => {
    corrupt("flip");
    // The fast no-op checks existence and sizes only (see docs/ARCHITECTURE.md, builder/ door).
    expect(await eka(["build", atom, "--no-progress"])).toMatchObject({ status: 0, err: "" });
    const b = await eka(["build", atom, "--repair", "--json"]);
    expect(b.status, b.err).toBe(0);
    expect(JSON.parse(b.out).results[0]).toMatchObject({ storePath, built: true, repaired: ["bin/hello.wasm"] });
    mended();
    expect(await verifyStatus()).toBe(0);
  }, 300_000);

  it("--check that rebuilds the right bytes mends the stored object instead of failing on it", async () => {
    corrupt("flip");
    const b = await eka(["build", atom, "--check", "--no-progress"]);
    expect(b.status, b.err).toBe(0);
    expect(b.err).toContain(`repaired ${storePath}: rebuilt it to mend bin/hello.wasm`);
    expect(b.err).toContain("check: hello rebuilt bit for bit identical");
    mended();
    expect(await verifyStatus()).toBe(0);
  }, 300_000);

  it("eka store repair without a copy points to eka build --repair, which mends it by rebuilding", async () => {
    corrupt("flip");
    // The checkout behind `result` holds the right bytes; without it only a rebuild has them.
    const checkout = fs.realpathSync(result);
    removeReadOnlyTree(checkout);
    const r = await eka(["store", "repair", storePath]);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(new RegExp(`^eka: error\\[E_CORRUPT_OBJECT\\]: could not repair ${storePath} \\(bin/hello\\.wasm\\): .*'eka build --repair ATOM'`, "m"));
    const b = await eka(["build", atom, "--repair", "-o", result, "--no-progress"]);
    expect(b.status, b.err).toBe(0);
    expect(b.err).toContain(`repaired ${storePath}: rebuilt it to mend bin/hello.wasm`);
    mended();
    expect(fs.readFileSync(path.join(result, "bin/hello.wasm"))).toEqual(Buffer.from(wasm));
    expect(await verifyStatus()).toBe(0);
  }, 300_000);

  it("a changed file behind `result` is named by verify, and eka store repair makes the checkout again", async () => {
    const file = path.join(fs.realpathSync(result), "bin/hello.wasm");
    fs.chmodSync(path.dirname(file), 0o755);
    fs.chmodSync(file, 0o644);
    fs.appendFileSync(file, "x");
    const v = await eka(["store", "verify"]);
    expect(v.status).toBe(1);
    expect(v.err).toContain(`eka: E_CHECKOUT_CHANGED: ${file}: is ${wasm.length + 1} bytes, but the store has ${wasm.length} (the checkout of ${storePath})`);
    const r = await eka(["store", "repair", result]);
    expect(r.status, r.err).toBe(0);
    expect(r.out).toContain(`made the checkout ${path.dirname(path.dirname(file))} again from the store (changed: bin/hello.wasm)`);
    expect(fs.readFileSync(path.join(result, "bin/hello.wasm"))).toEqual(Buffer.from(wasm));
    expect(await verifyStatus()).toBe(0);
  });

  it("eka build --repair -o result also makes a changed checkout behind the link again", async () => {
    const file = path.join(fs.realpathSync(result), "bin/hello.wasm");
    fs.chmodSync(path.dirname(file), 0o755);
    fs.rmSync(file);
    const plain = await eka(["build", atom, "-o", result, "--no-progress"]);
    expect(plain).toMatchObject({ status: 0, err: "" });
    expect(fs.existsSync(file)).toBe(false);
    const b = await eka(["build", atom, "--repair", "-o", result, "--no-progress"]);
    expect(b.status, b.err).toBe(0);
    expect(b.err).toBe(`repaired ${storePath}: made the checkout ${path.dirname(path.dirname(file))} again from the store (changed: bin/hello.wasm)\n`);
    expect(fs.readFileSync(path.join(result, "bin/hello.wasm"))).toEqual(Buffer.from(wasm));
    expect(await verifyStatus()).toBe(0);
  });
});
