// Node-only: `eka build [ATOM]` — resolve, turn into IR, build what the store lacks.
import { EkaError } from "../../errors.ts";
import { parseCommand, positiveInt, UsageError } from "../args.ts";
import { atomDirsFromArgs, buildPrepared, mirrorsOption, loadOptions, prepareAtom, type BuildAtomOptions } from "../atoms.ts";
import { interruptible } from "../interrupt.ts";
import { ProgressRenderer } from "../progress.ts";

export const summary = "Build an atom (and what it depends on) into the store";
export const help = `Usage: eka build [ATOM…] [options] [--VARIANT=CHOICE…]

Builds the atom ATOM — a directory (default: the current one), or a git URI[@RANGE] whose
highest matching tag is used — for each host platform it lists, and every dependency it needs.
Nothing is built twice: what is in the store is reused.

Several atoms (or a directory of atoms, such as a package set: 'eka build pkgs') are built as one
graph: shared inputs once, independent packages in parallel, and a failure stops only the atoms
that need what failed. Then a table: package, status, time, size and closure size.

Options:
  -o, --out-link PATH  Point PATH at the result and keep it from garbage collection
                       (several hosts: PATH, PATH-<host>, …)
      --json           Print the results as JSON (pid, storePath, cid, built, host)
      --check          Rebuild what is already in the store and compare the bytes
                       (damaged stored objects are mended from the rebuild)
      --repair         Re-hash the outputs found in the store and rebuild damaged ones
                       (without it only missing objects and wrong sizes are noticed);
                       with -o, also make a changed checkout behind the link again
  -j, --jobs N         Run at most N build commands at once (default: one per core)
      --frozen         Fail if atom.lock is out of date instead of updating it
      --allow-outside DIR
                       Let path sources and path dependencies reach DIR, outside the
                       atom's repository (its git work tree, or its directory); repeatable.
                       EKA_ALLOW_OUTSIDE (DIR:DIR…) does the same. Fetched atoms never may.
      --mirror DIR|URL Try this content-addressed mirror (<mirror>/sha256/<hex>) for url
                       sources before EKA_MIRRORS, $EKA_CACHE/mirror and the url; repeatable
      --no-progress    Do not show progress
  -h, --help           Show this help

Variants (from the atom's [platform] and [provide] tables; the first choice is the default):
  --host=TRIPLE        Build for one of the atom's host platforms only
  --NAME=CHOICE        Choose among an abstract package's choices, e.g. --cc=clang

The store is $EKA_STORE, or ~/.local/share/eka/store.

Examples:
  eka build ./examples/hello -o result
  eka build ./examples/greet-app --json
  eka build pkgs --mirror ~/mirror
  eka build --host=wasm32-wasip1 --cc=clang ./app
`;

const OPTIONS = {
  "out-link": { type: "string", short: "o" },
  json: { type: "boolean" },
  check: { type: "boolean" },
  repair: { type: "boolean" },
  jobs: { type: "string", short: "j" },
  frozen: { type: "boolean" },
  "allow-outside": { type: "string", multiple: true },
  mirror: { type: "string", multiple: true },
  "no-progress": { type: "boolean" },
} as const;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals, choices } = parseCommand({ command: "eka build", help, options: OPTIONS, args: { name: "ATOM", min: 0, max: Infinity }, variants: true }, argv);
  const jobs = positiveInt("eka build", "jobs", values.jobs);
  const t0 = performance.now();
  const oneLink = () => new UsageError("eka build", "-o/--out-link names one result; build one atom at a time to link it");
  if (values["out-link"] && positionals.length > 1) throw oneLink();
  const dirs = await atomDirsFromArgs(positionals.length ? positionals : ["."]);
  const tty = !values.json && !values["no-progress"] && process.stderr.isTTY === true;
  const progress = values["no-progress"] || values.json ? undefined : new ProgressRenderer(process.stderr, { tty });
  const mirrors = await mirrorsOption(values.mirror);
  const buildOpts = (store: BuildAtomOptions["store"], signal: AbortSignal): BuildAtomOptions => ({
    store,
    ...(jobs ? { jobs } : {}),
    ...(values.check ? { check: true } : {}),
    ...(values.repair ? { repair: true } : {}),
    ...(progress ? { onProgress: progress.onEvent } : {}),
    ...(mirrors ? { mirrors } : {}),
    signal,
  });
  if (dirs.length > 1) {
    if (values["out-link"]) throw oneLink();
    const { buildSet } = await import("./build-set.ts");
    return buildSet(dirs, { choices, load: loadOptions(values), json: values.json === true, progress, t0, options: (store, signal) => buildOpts(store, signal) });
  }
  const dir = dirs[0] as string;
  const [prepared, store] = await Promise.all([prepareAtom(dir, choices, loadOptions(values)), openDefaultStore()]);
  let results;
  try {
    results = await interruptible((signal) => buildPrepared(prepared, buildOpts(store, signal)), progress);
  } finally {
    progress?.finish();
  }
  const links: (string | undefined)[] = [];
  if (values["out-link"]) {
    const { makeResultLink } = await import("../../store/gc.node.ts");
    const repairCheckout = values.repair ? (await import("../../store/repair.node.ts")).repairCheckout : null;
    results.forEach((r, i) => {
      const link = i === 0 ? (values["out-link"] as string) : `${values["out-link"]}-${prepared.roots[i]?.platform.host}`;
      const remade = repairCheckout?.(store, r.storePath);
      if (remade) process.stderr.write(`repaired ${r.storePath}: ${remade.message}\n`);
      makeResultLink(store, r.storePath, link);
      links.push(link);
    });
  }
  const ms = Math.round(performance.now() - t0);
  let failedCheck = false;
  if (values.json) {
    const out = results.map((r, i) => ({
      atom: prepared.graph.manifest.atom.id,
      version: prepared.graph.manifest.atom.version,
      host: prepared.roots[i]?.platform.host,
      pid: r.pid,
      storePath: r.storePath,
      cid: r.cid,
      built: r.built,
      narSize: r.narSize,
      closureSize: r.closureSize,
      ...(links[i] ? { outLink: links[i] } : {}),
      ...(r.check ? { check: r.check } : {}),
      ...(r.repaired ? { repaired: r.repaired } : {}),
    }));
    process.stdout.write(JSON.stringify({ results: out, ms }, null, 2) + "\n");
  } else {
    for (const [i, r] of results.entries()) {
      process.stdout.write(`${r.storePath}\n`);
      if (r.repaired) process.stderr.write(`repaired ${r.storePath}: rebuilt it to mend ${r.repaired.join(", ")}, whose objects in the store were damaged\n`);
      if (r.check) {
        if (r.check.identical) process.stderr.write(`check: ${prepared.roots[i]?.name} rebuilt bit for bit identical\n`);
        else {
          failedCheck = true;
          process.stderr.write(`check: ${r.storePath} differs when rebuilt:\n${r.check.differences.map((d) => `  ${d.kind} ${d.path}`).join("\n")}\n`);
        }
      }
    }
  }
  if (results.some((r) => r.check && !r.check.identical)) failedCheck = true;
  if (failedCheck) throw new EkaError("E_CHECK_DIFFERS", `the rebuild differs from the store; the build is not reproducible (see the files listed above)`);
  return 0;
}

export async function openDefaultStore() {
  const { openStore } = await import("../../store/open.node.ts");
  return openStore();
}
