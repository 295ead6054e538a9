// `eka cc` through the daemon: the compile runs in the daemon's process (its seed compiled once),
// on the client's files in the client's directory, with the same object bytes, diagnostics and
// exit status as in-process; a compile reading stdin ("-") stays in-process.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { sandbox } from "./helpers.ts";

const sb = sandbox("cc");
afterAll(() => sb.cleanup());
const done = async (): Promise<number> => (JSON.parse((await sb.eka(["daemon", "status", "--json"])).stdout) as { requests: { done: number } }).requests.done;

beforeAll(async () => {
  const r = await sb.eka(["daemon", "start"]);
  expect(r.status, r.stderr).toBe(0);
  fs.writeFileSync(path.join(sb.tmp, "sum.c"), "int sum(int n) { int s = 0; for (int i = 0; i < n; i++) s += i * i; return s; }\n");
  fs.writeFileSync(path.join(sb.tmp, "bad.c"), "int f(void) { return undeclared; }\n");
});

it("compiles in the daemon: the same object as in-process, written in the client's directory", async () => {
  const before = await done();
  const a = await sb.eka(["cc", "-O2", "-c", "sum.c", "-o", "via-daemon.o"]);
  expect(a.status, a.stderr).toBe(0);
  expect(await done()).toBe(before + 1);
  const b = await sb.eka(["cc", "-O2", "-c", "sum.c", "-o", "in-process.o"], { EKA_DAEMON: "off" });
  expect(b.status, b.stderr).toBe(0);
  const obj = fs.readFileSync(path.join(sb.tmp, "via-daemon.o"));
  expect(obj.subarray(0, 4)).toEqual(Buffer.from([0, 0x61, 0x73, 0x6d]));
  expect(obj.equals(fs.readFileSync(path.join(sb.tmp, "in-process.o")))).toBe(true);
});

it("brings the compiler's diagnostics and exit status back to the client", async () => {
  const r = await sb.eka(["cc", "-c", "bad.c", "-o", "bad.o"]);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/bad\.c:1:22: error: use of undeclared identifier 'undeclared'/);
  expect(fs.existsSync(path.join(sb.tmp, "bad.o"))).toBe(false);
});

it("keeps a compile reading stdin in-process", async () => {
  const before = await done();
  const r = await sb.eka(["cc", "-x", "c", "-c", "-", "-o", "stdin.o"], { EKA_DAEMON: "on" });
  // sb.eka gives no stdin: clang reads an empty translation unit and still writes an object.
  expect(r.status, r.stderr).toBe(0);
  expect(await done()).toBe(before);
});
