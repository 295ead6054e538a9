// Archive unpacking in TypeScript (no host `tar`): tar, tar.gz, tar.xz, tar.bz2 and zip into a
// MemoryTree. bzip2 is seek-bzip (5x faster than the pure-Uint8Array `bz2` on zlib's tarball, but
// it needs Node's Buffer, so tar.bz2 is Node-only; the browser gets E_UNPACK naming the format).
import { gunzipSync, unzipSync } from "fflate";
import { unpackTar } from "modern-tar";
import { EkaError } from "../errors.ts";
import type { ArchiveFormat } from "../ir/types.ts";
import { MemoryTree } from "../store/memory-tree.ts";
import { stripSha256 } from "./xz-sha256.ts";

export function archiveFormatOf(name: string): ArchiveFormat | undefined {
  if (/\.(tar\.gz|tgz)$/i.test(name)) return "tar.gz";
  if (/\.(tar\.xz|txz)$/i.test(name)) return "tar.xz";
  if (/\.(tar\.bz2|tbz2?)$/i.test(name)) return "tar.bz2";
  if (/\.tar$/i.test(name)) return "tar";
  if (/\.zip$/i.test(name)) return "zip";
  return undefined;
}

/** Unpacks `data`; a single top-level directory is stripped, as Nix's unpackPhase does. */
export async function unpackArchive(data: Uint8Array, format: ArchiveFormat, where: string): Promise<MemoryTree> {
  try {
    const tree = new MemoryTree();
    if (format === "zip") {
      for (const [name, bytes] of Object.entries(unzipSync(data))) {
        tree.put(name, name.endsWith("/") ? { kind: "directory" } : { kind: "file", data: bytes, executable: false });
      }
      return stripSingleTopDir(tree);
    }
    let tar = data;
    if (format === "tar.gz") tar = gunzipSync(data);
    if (format === "tar.xz") {
      // Loaded on demand; the package is CommonJS, so its named export sits on `default` under Node.
      const xz = (await import("xz-decompress")) as typeof import("xz-decompress") & { default?: typeof import("xz-decompress") };
      const XzReadableStream = xz.XzReadableStream ?? xz.default?.XzReadableStream;
      const sha = stripSha256(data);
      const stream = new XzReadableStream(new Blob([(sha?.stream ?? data) as Uint8Array<ArrayBuffer>]).stream());
      tar = new Uint8Array(await new Response(stream).arrayBuffer());
      sha?.verify(tar);
    }
    if (format === "tar.bz2") {
      const bz = (await import("seek-bzip")) as typeof import("seek-bzip") & { default?: typeof import("seek-bzip") };
      const decode = bz.decode ?? bz.default?.decode;
      if (typeof Buffer === "undefined" || !decode) throw new Error("bzip2 needs Node's Buffer; unpack it elsewhere or use a .tar.gz/.tar.xz of the same source");
      // seek-bzip calls the deprecated Buffer(); bundled, it is not in node_modules, so Node would
      // print DEP0005 on a user's terminal. The flag is read when the warning is raised, so it is
      // set only around the decode.
      const proc = (globalThis as { process?: { noDeprecation?: boolean } }).process;
      const quiet = proc?.noDeprecation;
      if (proc) proc.noDeprecation = true;
      try {
        tar = new Uint8Array(decode(Buffer.from(data.buffer, data.byteOffset, data.byteLength)));
      } finally {
        if (proc) proc.noDeprecation = quiet;
      }
    }
    for (const { header, data: body } of await unpackTar(tar)) {
      const t = header.type ?? "file";
      if (t === "directory") tree.put(header.name, { kind: "directory" });
      else if (t === "symlink") tree.put(header.name, { kind: "symlink", target: header.linkname ?? "" });
      else if (t === "file") tree.put(header.name, { kind: "file", data: body ?? new Uint8Array(), executable: ((header.mode ?? 0o644) & 0o100) !== 0 });
      else if (t === "link") {
        const target = tree.entry((header.linkname ?? "").replace(/^\.\//, "").replace(/\/$/, ""));
        if (target) tree.put(header.name, target);
      }
    }
    return stripSingleTopDir(tree);
  } catch (e) {
    if (e instanceof EkaError) throw e;
    throw new EkaError("E_UNPACK", `${where}: cannot unpack as ${format}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** If the root holds exactly one directory and nothing else, the tree below it. */
export function stripSingleTopDir(tree: MemoryTree): MemoryTree {
  const top = tree.readdir("");
  return (top.length === 1 && tree.subtree(top[0] as string)) || tree;
}
