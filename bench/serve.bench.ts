// `eka store serve` figures: MB/s (of NAR bytes) for `nix copy --from http://…` pulling the
// package set's outputs and their closures (pkgs/, built first) through the server,
// against `nix copy --from file://…` of a binary cache holding the same paths — uncompressed (one
// `eka store cache` wrote) and zstd (one Nix wrote). Each pull goes into a fresh Nix store; the
// two sources alternate, five rounds, medians.
// Skipped without Nix.
import { execFile, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, "..");
const EKA = path.join(ROOT, "bin/eka.js");
const NX = ["--extra-experimental-features", "nix-command"];

export async function run(): Promise<void> {
  if (spawnSync("nix-store", ["--version"]).status !== 0) {
    console.log("  skipped: nix-store not installed (apt-get install nix-bin)");
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "eka-serve-bench-"));
  const env = { ...process.env, EKA_STORE: path.join(tmp, "store") };
  const nixEnv = { ...process.env, HOME: tmp, NIX_STATE_DIR: `${tmp}/nix-state`, NIX_CONF_DIR: `${tmp}/nix-conf`, NIX_LOG_DIR: `${tmp}/nix-log` };
  const eka = async (args: string[]) => (await exec(process.execPath, [EKA, ...args], { env, maxBuffer: 1 << 26 })).stdout.trim();
  const nix = async (args: string[]) => (await exec("nix", [...NX, ...args], { env: nixEnv, maxBuffer: 1 << 26 })).stdout.trim();
  try {
    // The package set (pkgs/, sources from the mirror scripts/fill-mirror.sh fills): its outputs
    // and their closures are what is pulled.
    const built = JSON.parse(await eka(["build", path.join(ROOT, "pkgs"), "--frozen", "--no-progress", "--json"])) as { results: { storePath?: string }[] };
    const roots = built.results.flatMap((r) => (r.storePath ? [r.storePath] : []));
    const infos = JSON.parse(await eka(["store", "path-info", "--json", "--closure", ...roots])) as Array<{ path?: string; storePath?: string; narSize: number }>;
    const paths = [...new Set(infos.map((i) => (i.path ?? i.storePath) as string))].sort();
    const bytes = infos.reduce((n, i) => n + i.narSize, 0);
    console.log(`  paths: ${paths.length} (${paths.map((p) => p.slice(44)).join(", ")}), ${(bytes / 1e6).toFixed(1)} MB of NAR`);
    const key = path.join(tmp, "k");
    const pub = await eka(["store", "keygen", "bench-1", "--secret-file", key]);
    const trust = ["--option", "trusted-public-keys", pub];

    let n = 0;
    /** One pull into a fresh store: ms. */
    const pullOnce = async (from: string) => {
      const to = path.join(tmp, `nix-${n++}`);
      const t = performance.now();
      await nix(["copy", "--from", from, "--to", to, ...trust, ...paths]);
      const ms = performance.now() - t;
      await exec("chmod", ["-R", "u+w", to]);
      fs.rmSync(to, { recursive: true, force: true });
      return ms;
    };
    /** Median of 5 rounds, the two sources interleaved (the machine is shared; load drifts): MB/s each. */
    const sideBySide = async (a: string, b: string) => {
      const ta: number[] = [];
      const tb: number[] = [];
      for (let i = 0; i < 5; i++) {
        ta.push(await pullOnce(a));
        tb.push(await pullOnce(b));
      }
      const med = (xs: number[]) => xs.sort((x, y) => x - y)[2] as number;
      return [med(ta), med(tb)].map((ms) => ({ ms, mbs: bytes / 1e6 / (ms / 1000) })) as [{ ms: number; mbs: number }, { ms: number; mbs: number }];
    };
    const show = (what: string, r: { ms: number; mbs: number }, peer?: { ms: number; mbs: number }) =>
      console.log(`  ${what.padEnd(56)} ${r.mbs.toFixed(1).padStart(6)} MB/s (${r.ms.toFixed(0)} ms)${peer ? `  = ${(r.mbs / peer.mbs).toFixed(2)}x the file:// cache` : ""}`);

    const plainCache = path.join(tmp, "cache-none");
    await eka(["store", "cache", plainCache, "--key-file", key, ...paths]);
    const [filePlain, served] = await withServer(env, ["--key-file", key, "--compression", "none"], (url) => sideBySide(`file://${plainCache}`, url));
    show("nix copy --from file:// (uncompressed)", filePlain);
    show("nix copy --from eka store serve (none)", served, filePlain);

    // A zstd cache written by Nix from the same paths.
    if (spawnSync("zstd", ["--version"]).status === 0) {
      const nixSrc = path.join(tmp, "nix-src");
      await nix(["copy", "--from", `file://${plainCache}`, "--to", nixSrc, ...trust, ...paths]);
      const zstdCache = path.join(tmp, "cache-zstd");
      await nix(["copy", "--from", nixSrc, "--to", `file://${zstdCache}?compression=zstd&secret-key=${key}`, ...paths]);
      const [fileZstd, servedZstd] = await withServer(env, ["--key-file", key, "--compression", "zstd"], (url) => sideBySide(`file://${zstdCache}`, url));
      show("nix copy --from file:// (zstd, written by Nix)", fileZstd);
      show("nix copy --from eka store serve (zstd, compressed live)", servedZstd, fileZstd);
    }
  } finally {
    await exec("chmod", ["-R", "u+w", tmp]).catch(() => undefined);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function withServer<T>(env: NodeJS.ProcessEnv, args: string[], f: (url: string) => Promise<T>): Promise<T> {
  const child = spawn(process.execPath, [EKA, "store", "serve", "--port", "0", "-q", ...args], { env, stdio: ["ignore", "pipe", "ignore"] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("\n")) resolve(out.split("\n")[0] as string);
      });
      child.once("exit", (code) => reject(new Error(`eka store serve exited ${code}`)));
    });
    return await f(url);
  } finally {
    child.kill("SIGINT");
  }
}
