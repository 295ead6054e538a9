import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The default skips every dist/ folder; only the bundle's is output (test/dist/ is src/dist/'s tests).
    exclude: [...configDefaults.exclude.filter((p) => p !== "**/dist/**"), "dist/**"],
    globalSetup: ["test/global-setup.ts"],
    setupFiles: ["test/setup/event-loop.ts"],
    // clang-in-wasm compiles are slow on 2 cores; individual tests set longer limits where needed.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: ["default"],
  },
});
