/**
 * Host directories as trees: the one synchronous reader of a host directory (lstat semantics:
 * symlinks are not followed) and the one writer of a tree into one.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { EkaError } from "../errors.ts";
import type { TreeReader, TreeStat } from "./types.ts";

/**
 * A TreeReader over `dir`. A file that is neither a regular file, a directory nor a symlink
 * (a socket, a fifo) is E_UNSUPPORTED_FILE when reached, as Nix refuses it too.
 */
export function hostTree(dir: string): TreeReader {
  const abs = (p: string) => (p === "" ? dir : path.join(dir, p));
  return {
    stat(p): TreeStat | null {
      let st: fs.Stats;
      try {
        st = fs.lstatSync(abs(p));
      } catch {
        return null;
      }
      if (st.isDirectory()) return { kind: "directory", size: 0, executable: false };
      if (st.isSymbolicLink()) return { kind: "symlink", size: st.size, executable: false };
      if (st.isFile()) return { kind: "file", size: st.size, executable: (st.mode & 0o100) !== 0 };
      throw new EkaError("E_UNSUPPORTED_FILE", `${abs(p)} is neither a file, a directory nor a symlink; the store can't hold it`);
    },
    readdir: (p) => fs.readdirSync(abs(p)),
    readFile: (p) => fs.readFileSync(abs(p)),
    readlink: (p) => fs.readlinkSync(abs(p)),
  };
}

/**
 * What a host path holds, read as a source is: a file's bytes, or a directory's tree. The path
 * itself may be a symlink (it is followed); nothing below it is. Null if it does not exist.
 */
export function hostPath(abs: string): Uint8Array | TreeReader | null {
  let real: string;
  try {
    real = fs.realpathSync(abs);
  } catch {
    return null;
  }
  return fs.statSync(real).isFile() ? fs.readFileSync(real) : hostTree(real);
}

/**
 * Writes `root` of `tree` to `dest`, which must not exist yet. `readOnly` makes files 0444 (0555
 * if executable) and directories 0555, as checkouts of store paths are; else 0644/0755.
 */
export function writeHostTree(tree: TreeReader, root: string, dest: string, opts: { readOnly?: boolean } = {}): void {
  const dirs: string[] = [];
  const write = (rel: string, host: string) => {
    const st = tree.stat(rel);
    if (!st) throw new EkaError("E_NOT_FOUND", `'${rel}' vanished while it was being written to ${dest}`);
    if (st.kind === "directory") {
      fs.mkdirSync(host);
      for (const name of tree.readdir(rel)) write(rel === "" ? name : `${rel}/${name}`, path.join(host, name));
      dirs.push(host);
    } else if (st.kind === "symlink") {
      fs.symlinkSync(tree.readlink(rel), host);
    } else {
      const mode = (st.executable ? 0o111 : 0) | (opts.readOnly ? 0o444 : 0o644);
      fs.writeFileSync(host, tree.readFile(rel), { mode });
    }
  };
  write(root, dest);
  if (opts.readOnly) for (const d of dirs) fs.chmodSync(d, 0o555);
}
