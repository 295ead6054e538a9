// Content-addressed mirrors: a url source is looked up as <mirror>/sha256/<hex> in each mirror, in
// order, before its url; any bytes with the pinned hash are accepted whatever their name, and a
// source nobody has is an error naming the hash, the url and the mirrors, never a hang.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "fflate";
import { packTar } from "modern-tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchSource, httpMirror } from "../../src/builder/sources.ts";
import { nodeSourceHost, splitMirrors } from "../../src/builder/sources.node.ts";
import { isEkaError, type EkaError } from "../../src/errors.ts";
import type { SourceSpec } from "../../src/ir/types.ts";
import type { TreeReader } from "../../src/store/index.ts";

const text = (t: TreeReader, p: string) => new TextDecoder().decode(t.readFile(p));
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

let dir = "";
let tarball: Uint8Array;
let hex = "";
let server: Server;
let base = "";
const served = new Map<string, Uint8Array>();
const requests: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "eka-mirrors-"));
  tarball = gzipSync(await packTar([{ header: { name: "lib-2.0/lib.c", size: 12, mode: 0o644 }, body: "int lib(){}\n" }]));
  hex = sha(tarball);
  server = createServer((req, res) => {
    requests.push(req.url ?? "");
    if (req.url === "/hang/sha256/" + hex) return; // never answers
    const body = served.get(req.url ?? "");
    res.statusCode = body ? 200 : 404;
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

const spec = (url = `${base}/gone/lib-2.0.tar.gz`): SourceSpec => ({ kind: "url", url, hash: `sha256:${hex}` });
function mirrorDir(name: string, content?: Uint8Array): string {
  const m = join(dir, name);
  mkdirSync(join(m, "sha256"), { recursive: true });
  if (content) writeFileSync(join(m, "sha256", hex), content);
  return m;
}

describe("mirrors", () => {
  it("takes a url source from a mirror directory, unpacked by the url's file name, and never asks the url", async () => {
    requests.length = 0;
    const tree = await fetchSource("lib", spec(), nodeSourceHost(dir, [mirrorDir("good", tarball)]));
    expect(text(tree, "lib.c")).toBe("int lib(){}\n");
    expect(requests).toEqual([]);
  });

  it("skips a mirror that lacks the file or holds other bytes under the name, and uses the next one", async () => {
    requests.length = 0;
    served.set(`/m/sha256/${hex}`, tarball);
    const host = nodeSourceHost(dir, [mirrorDir("empty"), mirrorDir("wrong", new TextEncoder().encode("not it")), `${base}/m`]);
    const tree = await fetchSource("lib", spec(), host);
    expect(text(tree, "lib.c")).toBe("int lib(){}\n");
    expect(requests).toEqual([`/m/sha256/${hex}`]);
  });

  it("falls back to the url when no mirror has it", async () => {
    served.set("/up/lib-2.0.tar.gz", tarball);
    const tree = await fetchSource("lib", spec(`${base}/up/lib-2.0.tar.gz`), nodeSourceHost(dir, [mirrorDir("empty")]));
    expect(text(tree, "lib.c")).toBe("int lib(){}\n");
  });

  it("a source found nowhere names the hash, the url, each mirror tried and EKA_MIRRORS", async () => {
    const err = (await fetchSource("lib", spec(), nodeSourceHost(dir, [mirrorDir("empty"), `${base}/none`])).catch((e: unknown) => e)) as EkaError;
    expect(isEkaError(err, "E_FETCH")).toBe(true);
    expect(err.message).toContain(`sha256:${hex}`);
    expect(err.message).toContain(`${base}/gone/lib-2.0.tar.gz: HTTP 404`);
    expect(err.message).toContain(`${join(dir, "empty")}: no sha256/${hex}`);
    expect(err.message).toContain(`${base}/none: no sha256/${hex}`);
    expect(err.message).toContain("EKA_MIRRORS");
  });

  it("a mirror or url that never answers times out instead of hanging the build", async () => {
    const host = { ...nodeSourceHost(dir, []), mirrors: [httpMirror(`${base}/hang`, fetch, 300)], fetchTimeoutMs: 300 };
    const t0 = Date.now();
    const err = (await fetchSource("lib", spec(`${base}/hang/sha256/${hex}`), host).catch((e: unknown) => e)) as EkaError;
    expect(isEkaError(err, "E_FETCH")).toBe(true);
    expect(err.message).toMatch(/did not answer in time/);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it("EKA_MIRRORS splits on spaces and on ':' outside a URL's scheme", () => {
    expect(splitMirrors("/srv/a:https://cache.example/eka /srv/b  http://x:8080/m")).toEqual(["/srv/a", "https://cache.example/eka", "/srv/b", "http://x:8080/m"]);
  });

  it("unpacks a tar.bz2 source (zlib's Debian tarball is one)", async () => {
    const tar = await packTar([{ header: { name: "z-1/z.h", size: 7, mode: 0o644 }, body: "#pragma" }]);
    const bz = new Uint8Array(execFileSync("bzip2", ["-c"], { input: tar }));
    const h = sha(bz);
    const m = join(dir, "bz");
    mkdirSync(join(m, "sha256"), { recursive: true });
    writeFileSync(join(m, "sha256", h), bz);
    const tree = await fetchSource("z", { kind: "url", url: "https://example.invalid/z-1.tar.bz2", hash: `sha256:${h}` }, nodeSourceHost(dir, [m]));
    expect(text(tree, "z.h")).toBe("#pragma");
  });
});
