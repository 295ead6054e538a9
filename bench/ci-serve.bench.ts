// `eka ci serve`'s own costs, side by side:
//  - one committed write of the queue (node-sqlite3-wasm): to a file, and to `:memory:` — the
//    difference is SQLite's fsync, the price of a queue that survives a kill;
//  - a signed pull_request webhook answered 202 by a running server (signature check, the
//    delivery recorded, the PR upserted, the job queued: three transactions);
//  - webhook → the eka/review check run concluded, for a change that needs no build (the store
//    has every pid): fetch, evaluation, review, outputs and check runs — beside the same review
//    by `eka review` in-process (runReview), so the ratio is the server's overhead.
// EKA_BENCH_ROUNDS=N sets the rounds of the last figure (default 3).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as sqliteNs from "node-sqlite3-wasm";
import { loadConfig } from "../src/ci/config.node.ts";
import { startCiServer } from "../src/ci/server.node.ts";
import { runReview } from "../src/review/run.node.ts";
import { openStore } from "../src/store/open.node.ts";
import { configToml, deliver, fakeGitHub, prEvent } from "../test/ci/helpers.ts";
import { makeFixture } from "../test/review/helpers.ts";

const sqlite = ((sqliteNs as unknown as { default?: typeof sqliteNs }).default ?? sqliteNs) as typeof sqliteNs;
const ROUNDS = Math.max(1, Number(process.env.EKA_BENCH_ROUNDS ?? 3) || 3);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const ms = (x: number) => `${x.toFixed(1)} ms`;

export async function run(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), "eka-ci-bench-"));
  try {
    // 1. The queue's write.
    const insert = (file: string) => {
      const db = new sqlite.Database(file);
      db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
      const times: number[] = [];
      for (let i = 0; i < 60; i++) {
        const t0 = performance.now();
        db.run("INSERT INTO t (v) VALUES (?)", [`job ${i}`]);
        times.push(performance.now() - t0);
      }
      db.close();
      return median(times);
    };
    const disk = insert(join(tmp, "q.sqlite"));
    const mem = insert(":memory:");
    console.log(`  queue write (one committed insert): file ${ms(disk)}, :memory: ${(mem * 1000).toFixed(0)} µs — ×${(disk / mem).toFixed(0)}, the fsync that makes it durable`);

    // 2 and 3 on a repository of small atoms built once.
    const f = makeFixture();
    const base = await f.commit("base");
    f.write("hello/src/hello.c", '#include <stdio.h>\n// a comment only\nint main(void) { puts("hello"); return 0; }\n');
    const head = await f.commit("comment");
    const store = await openStore(`file://${f.env.EKA_STORE}`);
    const options = { base: "build" as const, only: [], skip: [], depth: null, maxBuilds: null, sizeThreshold: { percent: 10, bytes: 65536 }, diff: false };
    await runReview(f.repo, base, head, { store, options }); // builds both sides once
    const direct: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const t0 = performance.now();
      await runReview(f.repo, base, head, { store, options });
      direct.push(performance.now() - t0);
    }
    store.close();

    const gh = await fakeGitHub();
    writeFileSync(join(f.tmp, "app.pem"), gh.privateKeyPem);
    const cfg = join(f.tmp, "eka-ci.toml");
    writeFileSync(cfg, configToml({ repo: f.repo, state: join(f.tmp, "ci-state"), store: f.env.EKA_STORE as string, workers: 1, github: { url: gh.url, keyFile: "app.pem" } }));
    const server = await startCiServer(loadConfig(cfg), { port: 0 });
    try {
      const accept: number[] = [];
      for (let i = 0; i < 30; i++) {
        const t0 = performance.now();
        // Closed PRs: accepted and recorded, no job to run.
        const r = await deliver(server.url, "pull_request", prEvent("closed", 1000 + i, base, head));
        accept.push(performance.now() - t0);
        if (r.status !== 200) throw new Error(`webhook: ${r.status}`);
      }
      console.log(`  webhook answered (signed, recorded): median ${ms(median(accept))} over 30`);
      const served: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const t0 = performance.now();
        const r = await deliver(server.url, "pull_request", prEvent("opened", i + 1, base, head));
        if (r.status !== 202) throw new Error(`webhook: ${r.status}`);
        await server.idle();
        served.push(performance.now() - t0);
      }
      const d = median(direct);
      const s = median(served);
      console.log(`  review with nothing to build: runReview ${ms(d)}, webhook → eka/review concluded ${ms(s)} — ×${(s / d).toFixed(2)} (median of ${ROUNDS})`);
    } finally {
      await server.close();
      await gh.close();
      rmSync(f.tmp, { recursive: true, force: true });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
