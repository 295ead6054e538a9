export { DISABLED_TARGET_FEATURES, clangJobs, parseJobLine, runClang } from "./driver.ts";
export type { DriverOptions, DriverResult, ToolResult, ToolRunner } from "./driver.ts";
export { compile, runTool, seedRunner } from "./host.ts";
export type { Mount, SeedRunOptions } from "./host.ts";
export { planHostPaths, resolvePosix } from "./hostpaths.ts";
export type { HostPathPlan } from "./hostpaths.ts";
export { sysrootEntries, sysrootMemoryFS } from "./seed.ts";
export type { SysrootEntry } from "./seed.ts";
