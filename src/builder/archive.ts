// Archive unpacking in TypeScript (no host `tar`): tar, tar.gz, tar.xz and zip into a Tree.
import { gunzipSync, unzipSync } from "fflate";
import { unpackTar } from "modern-tar";
import { EkaError } from "../errors.ts";
import type { ArchiveFormat } from "../ir/types.ts";
import { newTree, stripSingleTopDir, treePut, type Tree } from "./tree.ts";

export function archiveFormatOf(name: string): ArchiveFormat | undefined {
  if (/\.(tar\.gz|tgz)$/i.test(name)) return "tar.gz";
  if (/\.(tar\.xz|txz)$/i.test(name)) return "tar.xz";
  if (/\.tar$/i.test(name)) return "tar";
  if (/\.zip$/i.test(name)) return "zip";
  return undefined;
}

/** Unpacks `data`; a single top-level directory is stripped, as Nix's unpackPhase does. */
export async function unpackArchive(data: Uint8Array, format: ArchiveFormat, where: string): Promise<Tree> {
  try {
    if (format === "zip") {
      const tree = newTree();
      for (const [name, bytes] of Object.entries(unzipSync(data))) {
        if (name.endsWith("/")) treePut(tree, name, { type: "dir" });
        else treePut(tree, name, { type: "file", data: bytes, executable: false });
      }
      return stripSingleTopDir(tree);
    }
    let tar = data;
    if (format === "tar.gz") tar = gunzipSync(data);
    if (format === "tar.xz") {
      // Loaded on demand; the package is CommonJS, so its named export sits on `default` under Node.
      const xz = (await import("xz-decompress")) as typeof import("xz-decompress") & { default?: typeof import("xz-decompress") };
      const XzReadableStream = xz.XzReadableStream ?? xz.default?.XzReadableStream;
      const stream = new XzReadableStream(new Blob([data as Uint8Array<ArrayBuffer>]).stream());
      tar = new Uint8Array(await new Response(stream).arrayBuffer());
    }
    const tree = newTree();
    for (const { header, data: body } of await unpackTar(tar)) {
      const t = header.type ?? "file";
      if (t === "directory") treePut(tree, header.name, { type: "dir" });
      else if (t === "symlink") treePut(tree, header.name, { type: "symlink", target: header.linkname ?? "" });
      else if (t === "file") {
        treePut(tree, header.name, { type: "file", data: body ?? new Uint8Array(), executable: ((header.mode ?? 0o644) & 0o100) !== 0 });
      } else if (t === "link") {
        const target = tree.get((header.linkname ?? "").replace(/^\.\//, "").replace(/\/$/, ""));
        if (target) treePut(tree, header.name, target);
      }
    }
    return stripSingleTopDir(tree);
  } catch (e) {
    if (e instanceof EkaError) throw e;
    throw new EkaError("E_UNPACK", `${where}: cannot unpack as ${format}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
