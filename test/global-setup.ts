// Rebuilds dist/ before the suite so tests that spawn bin/eka.js run the current sources.
import { execFileSync } from "node:child_process";

export default function setup(): void {
  execFileSync(process.execPath, ["scripts/build.mjs"], { stdio: "inherit" });
}
