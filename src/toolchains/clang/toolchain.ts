/**
 * The seed clang as a toolchain of the builder: what the seed store object holds (the multi-call
 * module and the sysroot) and how a step runs it. A step names the seed as tool `seed:<anything>`
 * and gets the package's input named `seed`; a `clang`/`clang++` step (not a cc1 job) runs the
 * driver emulation, every job a separate command.
 */
import { EkaError } from "../../errors.ts";
import type { Toolchain } from "../hooks.ts";
import { runClang } from "./driver.ts";
import { SEED_INPUT, SEED_MODULE, SEED_SYSROOT, SEED_TOOL_PREFIX } from "./layout.ts";
import { runCompileFromTemplate } from "./templates.ts";

export const clangToolchain: Toolchain = {
  resolveTool(tool, inputs, pkg) {
    if (!tool.startsWith(SEED_TOOL_PREFIX)) return undefined;
    const seed = inputs[SEED_INPUT];
    if (!seed) throw new EkaError("E_IR", `package ${pkg}: a step uses '${tool}' but the package has no '${SEED_INPUT}' input`);
    return { storePath: seed, path: SEED_MODULE };
  },
  sandboxMounts(inputs) {
    const seed = inputs[SEED_INPUT];
    return seed ? [{ storePath: seed, path: SEED_SYSROOT, guest: "/usr" }] : [];
  },
  runStep(step, run) {
    const [driver = "", ...args] = step.args;
    if (!step.tool.startsWith(SEED_TOOL_PREFIX) || (driver !== "clang" && driver !== "clang++") || args[0] === "-cc1" || args[0] === "-cc1as") return undefined;
    // The template cache is per module, cwd and env: the driver's job list depends on all three.
    const context = JSON.stringify([step.moduleKey, step.cwd, step.env]);
    return runCompileFromTemplate(context, driver, args, run).then((r) => r ?? runClang(args, run, { driver }));
  },
};
