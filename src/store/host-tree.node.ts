/** A TreeReader over a host directory (lstat semantics: symlinks are not followed). */
import * as fs from "node:fs";
import * as path from "node:path";
import { EkaError } from "../errors.ts";
import type { TreeReader, TreeStat } from "./types.ts";

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
