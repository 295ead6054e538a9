// Node-only: `eka get [ATOM] --tar|--deb [-o FILE]` — build an atom if needed and write it in a
// distribution format (docs/distribution.md). Each format is one entry of FORMATS.
import * as fs from "node:fs";
import * as path from "node:path";
import { programsOf } from "../../atom/to-ir.ts";
import { EkaError } from "../../errors.ts";
import type { Store } from "../../store/store.ts";
import { parseCommand, UsageError } from "../args.ts";
import { atomDirFromArg, buildPrepared, loadOptions, mirrorsOption, prepareAtom, type PreparedAtom } from "../atoms.ts";
import { interruptible } from "../interrupt.ts";
import { ProgressRenderer } from "../progress.ts";
import { openDefaultStore } from "./build.ts";

export const summary = "Build an atom if needed and write it as a tarball of its closure, a .deb or an OCI image";
export const help = `Usage: eka get [ATOM] [--tar] [--deb] [--oci [--wasm] [--push oci://HOST[:PORT]/REPO:TAG]] [-o FILE|DIR] [options] [--VARIANT=CHOICE…]

Builds the atom ATOM (a directory, default the current one, or a git URI[@RANGE]) unless the
store has it, then writes it in each format asked for; without --tar, --deb or --oci, in the formats
its atom.toml lists in 'dist = [...]'. Prints the files written. The same atom gives the same
bytes every time; every time stamp is SOURCE_DATE_EPOCH, else 0.

Formats:
  --tar                The closure as a tarball, paths nix/store/<hash>-<name>/… (extract with
                       'tar -C / -xf FILE'); default name <id>-<version>.tar
  --deb                A Debian package: a launcher /usr/bin/<program> per program, which runs
                       its .wasm with 'eka wasi run' (the target needs Node.js 20+ and eka on
                       PATH), and the closure under /usr/lib/eka/store; default name
                       <package>_<version>_all.deb
  --oci                An OCI image layout (a directory; default name <id>-<version>.oci): an
                       image whose layers hold the closure at /nix/store/… (one deterministic
                       layer per store path, the program as entrypoint), or with --wasm the
                       WebAssembly artifact (the program's .wasm as an application/wasm layer)
      --wasm           With --oci: the WebAssembly artifact flavour
      --push REF       With --oci: also push the image to a registry, oci://HOST[:PORT]/REPO:TAG
                       (loopback hosts over http, others https); prints REF@sha256:…
  -p, --program NAME   With --oci: the program of the image (default: the atom's first)

Options:
  -o, --output PATH    The file to write (one format), or the directory for them (several);
                       default: the current directory
      --maintainer 'NAME <EMAIL>'
                       The .deb's Maintainer (default: $DEBFULLNAME <$DEBEMAIL> if set, else
                       'eka <noreply@invalid>')
      --frozen         Fail if atom.lock is out of date instead of updating it
      --allow-outside DIR
                       Let path sources and dependencies reach DIR, as for 'eka build'; repeatable
      --mirror DIR|URL Try this source mirror first, as for 'eka build'; repeatable
      --host=TRIPLE    With several host platforms, which one (default: the first)
      --NAME=CHOICE    A variant choice, as for 'eka build'
  -h, --help           Show this help

Examples:
  eka get ./examples/hello --tar -o hello.tar
  eka get ./examples/hello --deb && dpkg-deb --contents hello_1.0.0_all.deb
  eka get ./examples/hello --oci --wasm --push oci://127.0.0.1:5000/eka/hello:1.0.0
`;

const OPTIONS = {
  tar: { type: "boolean" },
  deb: { type: "boolean" },
  oci: { type: "boolean" },
  wasm: { type: "boolean" },
  push: { type: "string" },
  program: { type: "string", short: "p" },
  output: { type: "string", short: "o" },
  maintainer: { type: "string" },
  frozen: { type: "boolean" },
  "allow-outside": { type: "string", multiple: true },
  mirror: { type: "string", multiple: true },
} as const;

interface Made {
  prepared: PreparedAtom;
  store: Store;
  storePath: string;
  mtime: number;
  maintainer: string;
  oci: { flavour: "image" | "wasm"; push?: string; program?: string };
}

interface Format {
  fileName(p: PreparedAtom): Promise<string>;
  /** Writes `file`; what it returns is printed too (a pushed image's reference). */
  write(m: Made, file: string): Promise<string | void>;
}

const FORMATS: Record<string, Format> = {
  tar: {
    fileName: async (p) => `${p.graph.manifest.atom.id}-${p.graph.manifest.atom.version}.tar`,
    write: async (m, file) => {
      const { closureTar, writeChunks } = await import("../../dist/tar.node.ts");
      writeChunks(file, closureTar(m.store, [m.storePath], m.mtime));
    },
  },
  deb: {
    fileName: async (p) => {
      const { debFileName } = await import("../../dist/deb.node.ts");
      return debFileName(p.graph.manifest.atom.id, p.graph.manifest.atom.version, p.graph.manifest.file);
    },
    write: async (m, file) => {
      const { buildDeb } = await import("../../dist/deb.node.ts");
      const { writeChunks } = await import("../../dist/tar.node.ts");
      const man = m.prepared.graph.manifest;
      const deb = buildDeb(m.store, {
        id: man.atom.id,
        version: man.atom.version,
        ...(man.atom.description !== undefined ? { description: man.atom.description } : {}),
        maintainer: m.maintainer,
        storePath: m.storePath,
        programs: programsOf(man),
        where: man.file,
      }, m.mtime);
      writeChunks(file, [deb]);
    },
  },
  oci: {
    fileName: async (p) => `${p.graph.manifest.atom.id}-${p.graph.manifest.atom.version}.oci`,
    write: async (m, file) => {
      const { ociGet } = await import("../../dist/oci.node.ts");
      const program = m.oci.program ?? programsOf(m.prepared.graph.manifest)[0];
      const r = await ociGet({ store: m.store, storePath: m.storePath, flavour: m.oci.flavour, out: file, ...(m.oci.push ? { push: m.oci.push } : {}), ...(program ? { program: `bin/${program}.wasm` } : {}) });
      return `${r.digest}${r.pushed ? `\n${r.pushed}` : ""}`;
    },
  },
};

export async function run(argv: string[]): Promise<number> {
  const { values, positionals, choices } = parseCommand({ command: "eka get", help, options: OPTIONS, args: { name: "ATOM", min: 0, max: 1 }, variants: true }, argv);
  const asked = (["tar", "deb", "oci"] as const).filter((f) => values[f]);
  if ((values.wasm || values.push !== undefined || values.program !== undefined) && !values.oci) throw new UsageError("eka get", "--wasm, --push and --program go with --oci");
  const { archiveTime } = await import("../../dist/tar.node.ts");
  const mtime = archiveTime();
  const dir = await atomDirFromArg(positionals[0] ?? ".");
  const prepared = await prepareAtom(dir, choices, loadOptions(values));
  const m = prepared.graph.manifest;
  const formats: string[] = asked.length ? [...asked] : m.dist;
  if (formats.length === 0) throw new UsageError("eka get", `say which format: --tar, --deb or --oci (or list them in ${m.file} as dist = ["tar", "deb", "oci"])`);
  for (const f of formats) {
    if (!FORMATS[f]) throw new EkaError("E_DIST_FORMAT", `${m.file}: dist lists '${f}', which eka get cannot make; it makes ${Object.keys(FORMATS).join(", ")}`);
  }
  const out = values.output;
  const several = formats.length > 1;
  if (several && out !== undefined && !isDir(out)) throw new EkaError("E_NOT_DIRECTORY", `-o ${out}: with several formats (${formats.join(", ")}), -o names a directory, and ${out} is not one; create it or ask for one format`);

  const files: string[] = [];
  for (const f of formats) {
    const name = await (FORMATS[f] as Format).fileName(prepared);
    files.push(out === undefined ? name : several || isDir(out) ? path.join(out, name) : out);
  }

  const store = await openDefaultStore();
  try {
    const progress = new ProgressRenderer(process.stderr, { tty: process.stderr.isTTY === true });
    const mirrors = await mirrorsOption(values.mirror);
    let storePath: string;
    try {
      const one = { ...prepared, roots: [prepared.roots[0] as PreparedAtom["roots"][number]] };
      const [r] = await interruptible((signal) => buildPrepared(one, { store, onProgress: progress.onEvent, signal, ...(mirrors ? { mirrors } : {}) }), progress);
      storePath = (r as { storePath: string }).storePath;
    } finally {
      progress.finish();
    }
    const maintainer = values.maintainer ?? (process.env.DEBFULLNAME && process.env.DEBEMAIL ? `${process.env.DEBFULLNAME} <${process.env.DEBEMAIL}>` : "eka <noreply@invalid>");
    for (const [i, f] of formats.entries()) {
      const oci = { flavour: values.wasm ? ("wasm" as const) : ("image" as const), ...(values.push !== undefined ? { push: values.push } : {}), ...(values.program !== undefined ? { program: values.program } : {}) };
      const said = await (FORMATS[f] as Format).write({ prepared, store, storePath, mtime, maintainer, oci }, files[i] as string);
      process.stdout.write(`${files[i]}\n${said ? `${said}\n` : ""}`);
    }
  } finally {
    store.close();
  }
  return 0;
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
