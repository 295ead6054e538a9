// Node-only: the CI server's TOML config. Every error names the file and the key, and says what
// the key wants. Paths in the file are relative to the file's directory.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parse } from "smol-toml";
import { EkaError } from "../errors.ts";

export interface CiConfig {
  /** The config file, absolute (errors name it). */
  file: string;
  /** A git URL or a local path of the repository of atoms. */
  repo: string;
  /** The webhook secret (HMAC-SHA256 key of X-Hub-Signature-256). */
  secret: string;
  /** The portal's public URL (check runs link to it), without a trailing slash; null: no links. */
  url: string | null;
  /** Where the queue (ci.sqlite), the fetched repository and each job's outputs live. */
  state: string;
  /** A store address; undefined: $EKA_STORE, else the default store. */
  store: string | undefined;
  /** Jobs run at once; 0 only queues (a receiver with nothing running jobs). */
  workers: number;
  /** Build commands one job runs at once; undefined: the machine's cores. */
  jobs: number | undefined;
  /** Webhook bodies above this many bytes are refused (413). */
  maxBody: number;
  review: { base: "build" | "cached" | "none"; maxBuilds: number | null; sizeThreshold: { percent: number; bytes: number } };
  github: { apiUrl: string; appId: string; privateKey: string; installationId: number | null } | null;
  /** Successful outputs pushed here: a binary cache directory, or oci://HOST/REPO. */
  cache: { to: string; secretKey: string | undefined } | null;
}

const TOP = new Set(["repo", "url", "secret", "secret-file", "state", "store", "workers", "jobs", "max-body", "review", "github", "cache"]);
const GITHUB = new Set(["api-url", "app-id", "private-key-file", "installation-id"]);
const CACHE = new Set(["to", "key-file"]);
const REVIEW = new Set(["base", "max-builds", "size-threshold"]);

/** GitHub's own cap on a webhook payload. */
export const DEFAULT_MAX_BODY = 25 * 1024 * 1024;

export function loadConfig(path: string, env: Record<string, string | undefined> = process.env): CiConfig {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new EkaError("E_CI_CONFIG", `cannot read the CI config ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)}); pass --config FILE (docs/ci.md shows one)`);
  }
  let t: Record<string, unknown>;
  try {
    t = parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new EkaError("E_CI_CONFIG", `${file}: not valid TOML: ${(e as Error).message.split("\n")[0]}`);
  }
  return fromTable(file, t, env);
}

export function fromTable(file: string, t: Record<string, unknown>, env: Record<string, string | undefined> = process.env): CiConfig {
  const bad = (key: string, want: string): never => {
    throw new EkaError("E_CI_CONFIG", `${file}: '${key}' ${want}`);
  };
  const dir = dirname(file);
  const at = (p: string) => (isAbsolute(p) ? p : resolve(dir, p));
  unknownKeys(file, "", t, TOP);
  const str = (tbl: Record<string, unknown>, key: string, name = key): string | undefined => {
    const v = tbl[key];
    if (v === undefined) return undefined;
    if (typeof v !== "string" || v === "") bad(name, `must be a non-empty string, not ${JSON.stringify(v)}`);
    return v as string;
  };
  const int = (tbl: Record<string, unknown>, key: string, name: string, min: number): number | undefined => {
    const v = tbl[key];
    if (v === undefined) return undefined;
    const n = typeof v === "bigint" ? Number(v) : v;
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < min) bad(name, `must be a whole number ${min} or more, not ${JSON.stringify(String(v))}`);
    return n as number;
  };
  const table = (key: string, keys: Set<string>): Record<string, unknown> | undefined => {
    const v = t[key];
    if (v === undefined) return undefined;
    if (typeof v !== "object" || v === null || Array.isArray(v)) bad(key, "must be a table ([" + key + "])");
    unknownKeys(file, key + ".", v as Record<string, unknown>, keys);
    return v as Record<string, unknown>;
  };

  const repoRaw = str(t, "repo") ?? bad("repo", "is missing: give the repository of atoms, a git URL or a path");
  const repo = /^[a-z][a-z0-9+.-]*:\/\//i.test(repoRaw) || /^[^/]+@[^/]+:/.test(repoRaw) ? repoRaw : at(repoRaw);
  let secret = str(t, "secret");
  const secretFile = str(t, "secret-file");
  if (secret !== undefined && secretFile !== undefined) bad("secret-file", "and 'secret' are both set; keep one");
  if (secretFile !== undefined) {
    try {
      secret = readFileSync(at(secretFile), "utf8").trim();
    } catch (e) {
      bad("secret-file", `names ${at(secretFile)}, which cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    if (!secret) bad("secret-file", `names ${at(secretFile)}, which is empty`);
  }
  secret ??= env.EKA_CI_SECRET || undefined;
  if (!secret) bad("secret", "is missing: set 'secret', 'secret-file' or the environment variable EKA_CI_SECRET to the GitHub App's webhook secret");

  const rv = table("review", REVIEW) ?? {};
  const base = str(rv, "base", "review.base") ?? "build";
  if (base !== "build" && base !== "cached" && base !== "none") bad("review.base", `is build, cached or none, not '${base}'`);
  const maxBuilds = int(rv, "max-builds", "review.max-builds", 0) ?? null;
  const spec = str(rv, "size-threshold", "review.size-threshold") ?? "10%,64KiB";
  const m = /^(\d+(?:\.\d+)?)%(?:,(\d+)(B|KiB|MiB|GiB)?)?$/.exec(spec.trim());
  if (!m) bad("review.size-threshold", `wants PERCENT%[,BYTES] such as 10%,64KiB, not '${spec}'`);
  const unit = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }[((m as RegExpExecArray)[3] ?? "B") as "B"];
  const sizeThreshold = { percent: Number((m as RegExpExecArray)[1]), bytes: (m as RegExpExecArray)[2] === undefined ? 0 : Number((m as RegExpExecArray)[2]) * unit };

  let github: CiConfig["github"] = null;
  const gh = table("github", GITHUB);
  if (gh) {
    const appIdRaw = gh["app-id"];
    const appId = typeof appIdRaw === "number" || typeof appIdRaw === "bigint" ? String(appIdRaw) : typeof appIdRaw === "string" && /^\d+$/.test(appIdRaw) ? appIdRaw : bad("github.app-id", "is missing or not the GitHub App's numeric id (the app's settings page shows it)");
    const keyFile = str(gh, "private-key-file", "github.private-key-file") ?? bad("github.private-key-file", "is missing: the .pem private key GitHub generated for the app");
    let privateKey = "";
    try {
      privateKey = readFileSync(at(keyFile), "utf8");
    } catch (e) {
      bad("github.private-key-file", `names ${at(keyFile)}, which cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    if (!privateKey.includes("PRIVATE KEY-----")) bad("github.private-key-file", `names ${at(keyFile)}, which is not a PEM private key`);
    const apiUrl = (str(gh, "api-url", "github.api-url") ?? "https://api.github.com").replace(/\/+$/, "");
    if (!/^https?:\/\//.test(apiUrl)) bad("github.api-url", `must be an http(s) URL, not '${apiUrl}'`);
    github = { apiUrl, appId, privateKey, installationId: int(gh, "installation-id", "github.installation-id", 1) ?? null };
  }

  let cache: CiConfig["cache"] = null;
  const c = table("cache", CACHE);
  if (c) {
    const to = str(c, "to", "cache.to") ?? bad("cache.to", "is missing: a binary cache directory or oci://HOST/REPO");
    const keyFile = str(c, "key-file", "cache.key-file");
    let secretKey: string | undefined;
    if (keyFile !== undefined) {
      try {
        secretKey = readFileSync(at(keyFile), "utf8").trim();
      } catch (e) {
        bad("cache.key-file", `names ${at(keyFile)}, which cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
      }
    }
    cache = { to: to.startsWith("oci://") || to.startsWith("oci+") ? to : at(to), secretKey };
  }

  const maxBody = int(t, "max-body", "max-body", 1) ?? DEFAULT_MAX_BODY;
  const url = str(t, "url")?.replace(/\/+$/, "") ?? null;
  if (url !== null && !/^https?:\/\/[^/]/.test(url)) bad("url", `must be the portal's http(s) URL, not '${url}'`);
  const storeRaw = str(t, "store");
  const store = storeRaw === undefined ? undefined : /^[a-z]+:/.test(storeRaw) ? storeRaw : `file://${at(storeRaw)}`;
  return {
    file,
    repo,
    url,
    secret: secret as string,
    state: at(str(t, "state") ?? "eka-ci-state"),
    store,
    workers: int(t, "workers", "workers", 0) ?? 1,
    jobs: int(t, "jobs", "jobs", 1),
    maxBody,
    review: { base: base as CiConfig["review"]["base"], maxBuilds, sizeThreshold },
    github,
    cache,
  };
}

function unknownKeys(file: string, prefix: string, t: Record<string, unknown>, known: Set<string>): void {
  for (const k of Object.keys(t)) {
    if (!known.has(k)) throw new EkaError("E_CI_CONFIG", `${file}: unknown key '${prefix}${k}' (the keys${prefix ? ` of [${prefix.slice(0, -1)}]` : ""} are ${[...known].join(", ")})`);
  }
}
