// Names the test that held its worker's event loop too long. vitest's worker waits at most 60 s
// for the runner's reply to each task update; a test that blocks longer (a synchronous child
// process, an in-thread compile chain that never yields) fails the whole run with an anonymous
// "Timeout calling onTaskUpdate". This watch says which test it was, so it can be made async.
import { afterAll, afterEach, beforeEach, expect } from "vitest";

const WARN_MS = 20_000;
let last = Date.now();
let longest = 0;
let inFile = 0;
let reported = false;
const tick = setInterval(() => {
  const now = Date.now();
  longest = Math.max(longest, now - last);
  inFile = Math.max(inFile, now - last);
  last = now;
}, 250);
tick.unref();

beforeEach(() => {
  last = Date.now();
  longest = 0;
});

afterEach(() => {
  longest = Math.max(longest, Date.now() - last);
  if (longest > WARN_MS) {
    const name = expect.getState().currentTestName ?? "?";
    reported = true;
    console.warn(`event loop blocked for ${(longest / 1000).toFixed(1)} s in "${name}" (${expect.getState().testPath ?? "?"}): vitest's worker RPC gives up after 60 s; run long work asynchronously`);
  }
});

afterAll(() => {
  inFile = Math.max(inFile, Date.now() - last);
  if (inFile > WARN_MS && !reported) console.warn(`event loop blocked for ${(inFile / 1000).toFixed(1)} s in a hook of ${expect.getState().testPath ?? "?"}: run long work asynchronously`);
});
