// Shared by the OCI tests: a file store holding a small closure, a real Debian docker-registry on
// 127.0.0.1 (config in a temp dir, filesystem storage), and skopeo/umoci runners.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { digestOf, makeStorePath, MemoryTree, openStore, type Store } from "../../src/store/index.node.ts";

export const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
export const hasTools = has("skopeo") && has("umoci") && has("docker-registry");
export const skipReason = hasTools ? "" : " [SKIPPED: apt-get install skopeo umoci docker-registry]";

/** A minimal valid WebAssembly module (magic and version). */
export const WASM = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

export interface Fixture {
  store: Store;
  lib: string;
  app: string;
}

/** lib (long and non-ASCII names, a symlink, an executable) and app (bin/hello.wasm) referring to lib. */
export async function fixtureStore(dir: string): Promise<Fixture> {
  const store = await openStore(dir);
  const enc = (s: string) => new TextEncoder().encode(s);
  const one = async function* (b: Uint8Array) {
    yield b;
  };
  const lib = new MemoryTree();
  lib.directory("");
  lib.directory("share");
  await lib.file("share/readme.txt", false, 6, one(enc("hello\n")));
  const long = `share/${"a-very-long-file-name-".repeat(6)}end.txt`;
  await lib.file(long, false, 4, one(enc("long")));
  await lib.file("share/ünïcødé.txt", false, 3, one(enc("ü\n")));
  lib.directory("bin");
  await lib.file("bin/tool", true, 10, one(enc("#!/bin/sh\n")));
  lib.symlink("share/link", "readme.txt");
  const libInfo = store.ingest(lib, "", { storePath: makeStorePath(digestOf(enc("oci-lib")), "oci-lib-1.0") });
  const app = new MemoryTree();
  app.directory("");
  app.directory("bin");
  await app.file("bin/hello.wasm", true, WASM.length, one(WASM));
  await app.file("lib-path", false, libInfo.storePath.length, one(enc(libInfo.storePath)));
  const appInfo = store.ingest(app, "", { storePath: makeStorePath(digestOf(enc("oci-app")), "hello-1.0"), references: [libInfo.storePath] });
  return { store, lib: libInfo.storePath, app: appInfo.storePath };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface RunningRegistry {
  port: number;
  host: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Debian's docker-registry (distribution 2.8) on 127.0.0.1, storing under `dir`. */
export async function startRegistry(dir: string): Promise<RunningRegistry> {
  const port = await freePort();
  fs.mkdirSync(path.join(dir, "data"), { recursive: true });
  const config = path.join(dir, "config.yml");
  fs.writeFileSync(config, `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(dir, "data")}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`);
  const proc = spawn("docker-registry", ["serve", config], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  proc.stderr?.on("data", (d) => (stderr += String(d)));
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) throw new Error(`docker-registry exited ${proc.exitCode}: ${stderr}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/v2/`);
      if (r.status === 200) break;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
    if (i === 99) throw new Error(`docker-registry did not answer on 127.0.0.1:${port}: ${stderr}`);
  }
  return {
    port,
    host: `127.0.0.1:${port}`,
    proc,
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once("exit", () => resolve());
        proc.kill("SIGTERM");
      }),
  };
}

/** Runs a tool without blocking the event loop; resolves with its output, rejects on failure. */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: opts.env ?? process.env });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => (out += String(d)));
    p.stderr.on("data", (d) => (err += String(d)));
    p.on("error", reject);
    p.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(" ")} exited ${code}: ${err}`))));
  });
}

export const skopeo = (args: string[]) => run("skopeo", ["--insecure-policy", ...args]);
