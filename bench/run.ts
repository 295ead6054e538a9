// `npm run bench`: runs every bench/*.bench.ts in turn (or those named on the command line).
// Each exports `run(): Promise<void>` and prints its own figures, as ratios measured side by side.
import { readdirSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const dir = fileURLToPath(new URL(".", import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
let failed = 0;
for (const f of files) {
  console.log(`\n## ${f.replace(/\.bench\.ts$/, "")}`);
  try {
    const mod = (await import(pathToFileURL(dir + f).href)) as { run(): Promise<void> };
    await mod.run();
  } catch (e) {
    failed++;
    console.log(`  FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
}
if (failed) process.exitCode = 1;
