import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // vitest's default also leaves out every **/dist/** folder, which would skip test/dist/.
    exclude: ["**/node_modules/**", "dist/**", "**/.git/**"],
    globalSetup: ["test/global-setup.ts"],
    // clang-in-wasm compiles are slow on 2 cores; individual tests set longer limits where needed.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: ["default"],
  },
});
