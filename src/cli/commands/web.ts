// Node-only: `eka web [--port N] [--out DIR]` — the demo page: atoms edited, built and run in a
// browser tab, into a store in the tab's private file system (src/web/, docs/web.md).
import { parseCommand, positiveInt } from "../args.ts";

export const summary = "Serve the in-browser page (edit, build and run atoms in a tab) on 127.0.0.1";
export const help = `Usage: eka web [--port N] [--out DIR] [--examples DIR] [--store ADDRESS]

Serves a page on http://127.0.0.1:PORT/ where atoms are edited, built and run inside the browser
tab: the seed clang runs in a Web Worker, builds go into a store in the tab's Origin Private File
System (opfs:eka, kept across reloads), and pids, store paths and cids are the ones 'eka build'
gives for the same files. The seed (100 MB) is downloaded once and kept in the browser's Cache
Storage under its BLAKE3 pin. Stop with Ctrl-C.

Options:
      --port N          Listen on port N (default 8080; 0 picks a free port)
      --out DIR         Write the page as a folder of static files instead of serving it
                        (with a _headers file: the COOP/COEP headers it needs; docs/web.md)
      --examples DIR    The atoms the editor starts from (default: eka's examples/)
      --store ADDRESS   The page's store: opfs:NAME (default opfs:eka) or memory:
      --json            Print {"url"} (or the files written) as JSON
  -h, --help            Show this help
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommand(
    { command: "eka web", help, options: { port: { type: "string" }, out: { type: "string" }, examples: { type: "string" }, store: { type: "string" }, json: { type: "boolean" } }, },
    argv,
  );
  const port = values.port === "0" ? 0 : values.port !== undefined ? (positiveInt("eka web", "port", values.port) as number) : 8080;
  const { webSite, serveSite, writeSite } = await import("../../web/site.node.ts");
  const site = await webSite({ ...(values.examples ? { examples: values.examples } : {}), ...(values.store ? { store: values.store } : {}) });
  if (values.out) {
    const written = writeSite(site, values.out);
    process.stdout.write(values.json ? `${JSON.stringify({ out: values.out, files: written })}\n` : `wrote ${written.length} files to ${values.out}; serve them with the headers in ${values.out}/_headers (docs/web.md)\n`);
    return 0;
  }
  const { server, url } = await serveSite(site, port);
  process.stdout.write(values.json ? `${JSON.stringify({ url })}\n` : `eka web: serving ${url} (Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => server.close(() => resolve());
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  return 0;
}
