// Store figures: ingest of a tree of 10,000 small files (files/s) into file:// and memory:
// stores, and verify of the same, beside `nix hash path` over the same tree as a peer.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { addSource, hostTree, MemoryTree, openStore, verifyStore } from "../src/store/index.node.ts";

const FILES = 10_000;

export async function run(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "eka-store-bench-"));
  try {
    const src = path.join(tmp, "src");
    let bytes = 0;
    for (let d = 0; d < 100; d++) {
      fs.mkdirSync(path.join(src, `d${d}`), { recursive: true });
      for (let f = 0; f < FILES / 100; f++) {
        const size = 64 + ((d * 7919 + f * 104729) % 4000);
        const buf = Buffer.alloc(size, `${d}-${f}-`);
        bytes += size;
        fs.writeFileSync(path.join(src, `d${d}`, `f${f}.c`), buf, { mode: f % 10 === 0 ? 0o755 : 0o644 });
      }
    }
    console.log(`  tree: ${FILES} files in 100 directories, ${(bytes / 1e6).toFixed(1)} MB`);
    const rate = (ms: number) => `${Math.round(FILES / (ms / 1000))} files/s (${ms.toFixed(0)} ms)`;

    const fileStore = await openStore(path.join(tmp, "store"));
    let t = performance.now();
    const info = addSource(fileStore, hostTree(src), "", "bench-src");
    console.log(`  ingest, file:// store (cold):          ${rate(performance.now() - t)}`);
    t = performance.now();
    addSource(fileStore, hostTree(src), "", "bench-src-again");
    console.log(`  ingest, file:// store (all deduped):   ${rate(performance.now() - t)}`);
    t = performance.now();
    let r = verifyStore(fileStore, { checkContents: false });
    console.log(`  verify --fast (objects present, sizes): ${rate(performance.now() - t)}, ${r.problems.length} problems`);
    t = performance.now();
    r = verifyStore(fileStore, { checkContents: true });
    console.log(`  verify (default: re-hash + NAR):       ${rate(performance.now() - t)}, ${r.problems.length} problems`);

    // The same tree from memory into memory: the store's own cost without host file I/O.
    const mem = new MemoryTree();
    const host = hostTree(src);
    const copy = async (p: string) => {
      const st = host.stat(p);
      if (st?.kind === "directory") {
        mem.directory(p);
        for (const n of host.readdir(p)) await copy(p ? `${p}/${n}` : n);
      } else if (st?.kind === "file") {
        await mem.file(p, st.executable, st.size, (async function* () {
          yield host.readFile(p);
        })());
      }
    };
    await copy("");
    const memStore = await openStore("memory:");
    t = performance.now();
    addSource(memStore, mem, "", "bench-src");
    console.log(`  ingest, memory: store:                 ${rate(performance.now() - t)}`);

    if (spawnSync("nix", ["--version"]).status === 0) {
      t = performance.now();
      const nix = spawnSync("nix", ["--extra-experimental-features", "nix-command", "hash", "path", "--base32", src], { encoding: "utf8", env: { ...process.env, HOME: tmp } });
      const ms = performance.now() - t;
      const same = `sha256:${nix.stdout.trim()}` === info.narHash;
      console.log(`  peer: nix hash path (NAR + SHA-256):   ${rate(ms)}; same NAR hash as eka: ${same}`);
    }
    fileStore.close();
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
