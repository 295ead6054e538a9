// Node-only: `eka store keygen|sign|narinfo|cache|push|substitute` — signing keys, Nix binary caches
// and OCI registries used as binary caches.
import * as fs from "node:fs";
import { EkaError } from "../../../errors.ts";
import { formatNarinfo, generateKeyPair, signPathInfo, substituteFromCache, validSignatures, writeBinaryCache } from "../../../store/index.node.ts";
import { pushToOciCache, substituteFromOci } from "../../../dist/oci.node.ts";
import { notInStore, out, outPaths, readKey, storeCommand, storePathArg } from "./common.ts";

const TRUSTED_KEY = ["--trusted-key NAME:BASE64", "a public key (as 'eka store keygen' prints it) whose signature is required; repeatable"] as [string, string];

export const keygen = storeCommand({
  usage: "keygen NAME --secret-file FILE [--json]",
  summary: "Make an ed25519 signing key in Nix's format: writes the secret key (mode 600), prints the public key.",
  details: "FILE must not exist. NAME names the key in signatures, e.g. cache.example.org-1.",
  options: { "secret-file": { type: "string" }, json: { type: "boolean" } },
  flags: [
    ["--secret-file FILE", "where to write the secret key (required)"],
    ["--json", 'print {"name", "publicKey", "secretFile"} as JSON'],
  ],
  args: { name: "NAME", min: 1, max: 1 },
  run: async (a, { usage }) => {
    const name = a.positionals[0] as string;
    const file = a.values["secret-file"];
    if (file === undefined) throw usage("missing --secret-file FILE");
    const keys = generateKeyPair(name);
    fs.writeFileSync(file, keys.secretKey, { mode: 0o600, flag: "wx" });
    out(a.values.json ? JSON.stringify({ name, publicKey: keys.publicKey, secretFile: file }) : keys.publicKey);
    return 0;
  },
});

export const sign = storeCommand({
  usage: "sign --key-file FILE [--json] STOREPATH…",
  summary: "Sign store paths with a Nix-format secret key (as 'nix store sign' does).",
  details: "Prints each signed path; a path keeps the signatures it had.",
  options: { "key-file": { type: "string" }, json: { type: "boolean" } },
  flags: [
    ["--key-file FILE", "the secret key, as 'eka store keygen' or 'nix key generate-secret' writes it (required)"],
    ["--json", "print a JSON array of the signed store paths"],
  ],
  args: { name: "STOREPATH", min: 1, max: Infinity },
  run: async (a, { open, usage }) => {
    const file = a.values["key-file"];
    if (file === undefined) throw usage("missing --key-file FILE");
    const secret = readKey(file);
    const store = await open();
    const signed: string[] = [];
    for (const arg of a.positionals) {
      const p = storePathArg(arg);
      const info = store.queryPathInfo(p);
      if (!info) throw notInStore(store, p);
      store.register({ ...info, signatures: [signPathInfo(info, secret)] });
      signed.push(p);
    }
    outPaths(signed, a.values.json);
    return 0;
  },
});

export const narinfo = storeCommand({
  usage: "narinfo [--trusted-key NAME:BASE64]… STOREPATH",
  summary: "Print the path's narinfo (uncompressed NAR at nar/<hash>.nar); with --trusted-key, fail unless signed by one.",
  options: { "trusted-key": { type: "string", multiple: true } },
  flags: [TRUSTED_KEY],
  args: { name: "STOREPATH", min: 1, max: 1 },
  run: async (a, { open }) => {
    const store = await open();
    const p = storePathArg(a.positionals[0] as string);
    const info = store.queryPathInfo(p);
    if (!info) throw notInStore(store, p);
    const keys = a.values["trusted-key"];
    if (keys && validSignatures(info, keys).length === 0) {
      throw new EkaError("E_BAD_SIGNATURE", `${p} has no valid signature by a trusted key (signatures by: ${info.signatures.map((x) => x.split(":")[0]).join(", ") || "none"})`);
    }
    const file = info.narHash.slice("sha256:".length);
    process.stdout.write(formatNarinfo({ ...info, url: `nar/${file}.nar`, compression: "none", fileHash: info.narHash, fileSize: info.narSize }));
    return 0;
  },
});

export const cache = storeCommand({
  usage: "cache DIR STOREPATH… [--key-file FILE] [--json]",
  summary: "Write the paths' closure as a Nix binary cache in DIR (narinfo + NAR), signed with --key-file; 'nix copy --from file://DIR' reads it.",
  details: "Prints each path written.",
  options: { "key-file": { type: "string" }, json: { type: "boolean" } },
  flags: [
    ["--key-file FILE", "sign each narinfo with this secret key"],
    ["--json", "print a JSON array of the store paths written"],
  ],
  args: { name: "DIR and STOREPATH", min: 2, max: Infinity },
  run: async (a, { open }) => {
    const [dir, ...paths] = a.positionals as [string, ...string[]];
    const key = a.values["key-file"];
    const store = await open();
    const r = writeBinaryCache(store, dir, paths.map((p) => storePathArg(p)), key !== undefined ? { secretKey: readKey(key) } : {});
    outPaths(r.written, a.values.json);
    return 0;
  },
});

export const push = storeCommand({
  usage: "push oci://HOST[:PORT]/REPO STOREPATH… [--key-file FILE] [--json]",
  summary: "Push the paths' closure to an OCI registry as a binary cache: each NAR a blob, its path info and signatures in a manifest tagged by the path's hash.",
  details: "Prints each path pushed. Blobs go first and each manifest last, so a failed push tags nothing half-uploaded.",
  options: { "key-file": { type: "string" }, json: { type: "boolean" } },
  flags: [
    ["--key-file FILE", "sign each path with this secret key"],
    ["--json", "print a JSON array of the store paths pushed"],
  ],
  args: { name: "oci://HOST/REPO and STOREPATH", min: 2, max: Infinity },
  run: async (a, { open }) => {
    const [to, ...paths] = a.positionals as [string, ...string[]];
    const key = a.values["key-file"];
    const store = await open();
    outPaths(await pushToOciCache(store, to, paths.map((p) => storePathArg(p)), key !== undefined ? { secretKey: readKey(key) } : {}), a.values.json);
    return 0;
  },
});

export const substitute = storeCommand({
  usage: "substitute --from DIR|URL|oci://HOST/REPO [--trusted-key NAME:BASE64]… [--json] STOREPATH…",
  creates: true,
  summary: "Import paths and their references from a Nix binary cache (a directory 'nix copy --to file://DIR' made, or an http(s):// cache; NARs uncompressed or xz) or an OCI registry 'eka store push' filled.",
  details: "Prints each path imported.",
  options: { from: { type: "string" }, "trusted-key": { type: "string", multiple: true }, json: { type: "boolean" } },
  flags: [["--from DIR|URL", "the binary cache (required)"], TRUSTED_KEY, ["--json", "print a JSON array of the imported store paths"]],
  args: { name: "STOREPATH", min: 1, max: Infinity },
  run: async (a, { open, usage }) => {
    const from = a.values.from;
    if (from === undefined) throw usage("missing --from DIR|URL");
    const paths = a.positionals.map((p) => storePathArg(p));
    const keys = a.values["trusted-key"];
    const store = await open();
    const opts = keys ? { trustedKeys: keys } : {};
    outPaths(/^oci(\+https?)?:\/\//.test(from) ? await substituteFromOci(store, from, paths, opts) : await substituteFromCache(store, from, paths, opts), a.values.json);
    return 0;
  },
});
