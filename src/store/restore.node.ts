/** Restores a NAR to a host directory (like `nix-store --restore`): built under a temp name beside it, then renamed. */
import * as fs from "node:fs";
import * as path from "node:path";
import { EkaError } from "../errors.ts";
import { narParse } from "./nar.ts";

export async function restoreNar(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, dest: string, where = "NAR on stdin"): Promise<{ narHash: string; narSize: number }> {
  const abs = path.resolve(dest);
  if (fs.existsSync(abs) || isLink(abs)) throw new EkaError("E_EXISTS", `${abs} already exists; restore needs a path that doesn't`);
  if (!fs.existsSync(path.dirname(abs))) throw new EkaError("E_NOT_FOUND", `cannot restore to ${abs}: the directory ${path.dirname(abs)} does not exist`);
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.eka-restore-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  const at = (p: string) => (p === "" ? tmp : path.join(tmp, p));
  try {
    const result = await narParse(
      source,
      {
        directory: (p) => fs.mkdirSync(at(p)),
        symlink: (p, target) => fs.symlinkSync(target, at(p)),
        file: async (p, executable, _size, contents) => {
          const fd = fs.openSync(at(p), "wx", executable ? 0o755 : 0o644);
          try {
            for await (const c of contents) fs.writeSync(fd, c);
          } finally {
            fs.closeSync(fd);
          }
        },
      },
      where,
    );
    fs.renameSync(tmp, abs);
    return result;
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
