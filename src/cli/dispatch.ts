// Node-only: how a command that runs other commands (the `eka daemon` server) reaches the command
// table without importing main.ts (command modules never do): main.ts registers its runner here.

/** Runs `eka NAME ARGV…` in this process and returns its exit status, errors printed. */
export type RunNamed = (name: string, argv: string[]) => Promise<number>;

let registered: RunNamed | undefined;

export function setRunNamed(run: RunNamed): void {
  registered = run;
}

export function runNamed(name: string, argv: string[]): Promise<number> {
  if (!registered) throw new Error("the command table is not loaded (src/cli/main.ts registers it)");
  return registered(name, argv);
}

/** The commands a running `eka daemon` serves (main.ts sends them there; the server refuses others). */
export const DAEMON_COMMANDS: ReadonlySet<string> = new Set(["build", "cc", "c++", "ar", "ld"]);
