// Node-only: `eka store serve` — the store as a Nix HTTP binary cache (src/store/serve.node.ts).
import { chooseStore, openStore } from "../../../store/index.node.ts";
import { serveStore, type ServeCompression } from "../../../store/serve.node.ts";
import { out, readKey, storeCommand } from "./common.ts";

export const serve = storeCommand({
  usage: "serve [--port N] [--host ADDR] [--key-file FILE] [--compression xz|zstd|none] [--upload-token TOKEN]",
  summary: "Serve the store as a Nix HTTP binary cache (nix-cache-info, narinfo, NARs) until Ctrl-C.",
  details: [
    "Prints the cache's URL on stdout (with --port 0, the port chosen), then one line per request on",
    "stderr. Nix uses it with 'nix copy --from URL' or '--option substituters URL'; give Nix the",
    "public key of --key-file in trusted-public-keys. NARs stream from the store, with ETags and",
    "byte ranges. Read-only unless --upload-token is given; then PUTs that carry",
    "'Authorization: Bearer TOKEN' (or Basic auth with TOKEN as the password, as a netrc file",
    "gives Nix) add paths, each only once its NAR hash checks out.",
  ].join("\n"),
  options: {
    port: { type: "string" },
    host: { type: "string" },
    "key-file": { type: "string" },
    compression: { type: "string" },
    "upload-token": { type: "string" },
    quiet: { type: "boolean", short: "q" },
  },
  flags: [
    ["--port N", "the TCP port (default 5000; 0 picks a free one)"],
    ["--host ADDR", "the address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)"],
    ["--key-file FILE", "sign every narinfo with this secret key (as 'eka store keygen' writes it)"],
    ["--compression KIND", "how narinfos offer NARs: none (default), xz (needs xz) or zstd (needs zstd)"],
    ["--upload-token TOKEN", "accept uploads (PUT) that carry this token; without it the cache is read-only"],
    ["-q, --quiet", "do not log requests"],
  ],
  args: { name: "", min: 0, max: 0 },
  run: async (a, { open, usage }) => {
    const portText = a.values.port ?? "5000";
    if (!/^\d+$/.test(portText) || Number(portText) > 65535) throw usage(`--port '${portText}' is not a port number (0-65535)`);
    const compression = (a.values.compression ?? "none") as ServeCompression;
    if (!["none", "xz", "zstd"].includes(compression)) throw usage(`--compression '${compression}' is not one of none, xz, zstd`);
    const token = a.values["upload-token"];
    if (token === "") throw usage("--upload-token needs a non-empty token");
    const key = a.values["key-file"];
    const secretKey = key !== undefined ? readKey(key) : undefined;
    // Uploads write, so only then may the store be made; serving alone needs an existing store.
    const store = token ? await openStore(chooseStore((a.values as { store?: string }).store), { create: true }) : await open();
    try {
      const server = await serveStore(store, {
        port: Number(portText),
        ...(a.values.host !== undefined ? { host: a.values.host } : {}),
        ...(secretKey !== undefined ? { secretKey } : {}),
        compression,
        ...(token !== undefined ? { uploadToken: token } : {}),
        ...(a.values.quiet ? {} : { onRequest: (m, u, s) => process.stderr.write(`${s} ${m} ${u}\n`) }),
      });
      out(server.url);
      process.stderr.write(`eka store serve: serving ${store.address} at ${server.url}${token ? " (uploads with the token)" : " (read-only)"}; Ctrl-C stops\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      await server.close();
      process.stderr.write("eka store serve: stopped\n");
      return 0;
    } finally {
      if (token) store.close();
    }
  },
});
