// Rebuilds dist/ before the suite so tests that spawn bin/eka.js run the current sources, fills
// the package set's mirror (from Debian's source packages, see scripts/fill-mirror.sh) and makes
// the one store the package set's tests share.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

export default function setup(project: TestProject): () => void {
  execFileSync(process.execPath, ["scripts/build.mjs"], { stdio: "inherit" });
  const cache = process.env.EKA_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "eka");
  const mirror = process.env.EKA_TEST_MIRROR ?? join(cache, "mirror");
  execFileSync("bash", ["scripts/fill-mirror.sh", mirror], { stdio: ["ignore", "ignore", "inherit"] });
  const store = mkdtempSync(join(tmpdir(), "eka-pkgs-store-"));
  project.provide("mirror", mirror);
  project.provide("pkgsStore", store);
  return () => {
    execFileSync("chmod", ["-R", "u+w", store]);
    rmSync(store, { recursive: true, force: true });
  };
}
