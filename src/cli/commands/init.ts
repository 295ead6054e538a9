// Node-only. Placeholder until the command lands; replaced by its owner.
import { EkaError } from "../../errors.ts";

export const summary = "(not implemented yet)";
export const help = "eka init: not implemented yet\n";
export async function run(_argv: string[]): Promise<number> {
  throw new EkaError("E_UNIMPLEMENTED", "'eka init' is not implemented yet");
}
