// Node-only. Placeholder until the command lands; replaced by its owner.
import { EkaError } from "../../errors.ts";
import type { CommandModule } from "../main.ts";

function stub(name: string): CommandModule {
  return {
    summary: "(not implemented yet)",
    help: `eka ${name}: not implemented yet\n`,
    run: async () => {
      throw new EkaError("E_UNIMPLEMENTED", `'eka ${name}' is not implemented yet`);
    },
  };
}
export const cc = stub("cc");
export const cxx = stub("c++");
export const ar = stub("ar");
export const ld = stub("ld");
