/**
 * A client of the OCI distribution API (what `docker push`/`skopeo copy` speak): blobs are
 * uploaded with POST /v2/<repo>/blobs/uploads/ then PUT <location>?digest=…, checked with HEAD
 * first; manifests are PUT under a tag and read back with GET, every body checked against its
 * sha256 digest. A request that fails with a 5xx answer or a broken connection is tried again
 * (3 tries in all, a blob upload from its POST); then it is a clear E_REGISTRY error.
 *
 * Addresses: `oci://HOST[:PORT]/REPO[:TAG|@sha256:…]`. The loopback host (127.0.0.1, localhost,
 * [::1]) is spoken to over http, every other over https; `oci+http://` forces http.
 *
 * Authentication, as registries ask for it: a 401 with `WWW-Authenticate: Bearer realm=…,
 * service=…, scope=…` gets a token from the realm (with the username and password, if any, as
 * basic credentials; anonymous otherwise) and the request is sent again with it; `Basic` sends the
 * credentials themselves. Credentials come from the options, else `$EKA_OCI_USERNAME` and
 * `$EKA_OCI_PASSWORD`; `$EKA_OCI_TOKEN` (or the `token` option) is a bearer token sent from the
 * first request on (e.g. a GitHub token for ghcr.io).
 */
import { EkaError } from "../errors.ts";
import { fetchFailureReason } from "../util/io-errors.ts";
import { checkTag, MEDIA, sha256Digest } from "./oci-layout.ts";

export interface OciRef {
  /** `http://127.0.0.1:5000` */
  base: string;
  /** `host:port`, for messages */
  host: string;
  repo: string;
  /** A tag or a `sha256:` digest, if the address names one. */
  reference?: string;
  /** The address as given. */
  address: string;
}

const REPO_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

export function parseOciRef(address: string): OciRef {
  const m = /^oci(\+https?)?:\/\/([^/]+)\/(.+)$/.exec(address);
  const bad = (why: string): never => {
    throw new EkaError("E_OCI_REF", `'${address}' is not a registry address: ${why} (write oci://HOST[:PORT]/REPO[:TAG], e.g. oci://127.0.0.1:5000/eka/hello:1.0)`);
  };
  if (!m) return bad("it must start with oci:// and name a repository");
  const [, scheme, host, rest] = m as unknown as [string, string | undefined, string, string];
  let repo = rest;
  let reference: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    repo = rest.slice(0, at);
    reference = rest.slice(at + 1);
    if (!/^sha256:[0-9a-f]{64}$/.test(reference)) bad(`'${reference}' is not a sha256 digest`);
  } else {
    const colon = rest.lastIndexOf(":");
    if (colon > rest.lastIndexOf("/")) {
      repo = rest.slice(0, colon);
      reference = checkTag(rest.slice(colon + 1), address);
    }
  }
  if (!REPO_RE.test(repo)) bad(`repository '${repo}' must be lowercase letters, digits and separators`);
  const loopback = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(host);
  const proto = scheme === "+http" ? "http" : scheme === "+https" ? "https" : loopback ? "http" : "https";
  return { base: `${proto}://${host}`, host, repo, ...(reference !== undefined ? { reference } : {}), address };
}

export interface RegistryOptions {
  /** Tries per request (default 3). */
  tries?: number;
  /** Pause before a retry, doubled each time (default 100 ms). */
  backoffMs?: number;
  /** Basic credentials, for a token realm or a Basic challenge (default $EKA_OCI_USERNAME / $EKA_OCI_PASSWORD). */
  username?: string;
  password?: string;
  /** A bearer token sent with every request (default $EKA_OCI_TOKEN). */
  token?: string;
}

export interface FetchedManifest {
  bytes: Uint8Array;
  mediaType: string;
  digest: string;
}

const ACCEPT = [MEDIA.manifest, MEDIA.index, "application/vnd.docker.distribution.manifest.v2+json"].join(", ");

export class Registry {
  readonly ref: OciRef;
  private readonly tries: number;
  private readonly backoffMs: number;
  private readonly username: string | undefined;
  private readonly password: string | undefined;
  /** The Authorization header to send (a bearer token or basic credentials), once known. */
  private authorization: string | undefined;

  constructor(address: string | OciRef, options: RegistryOptions = {}) {
    this.ref = typeof address === "string" ? parseOciRef(address) : address;
    this.tries = options.tries ?? 3;
    this.backoffMs = options.backoffMs ?? 100;
    this.username = options.username ?? process.env.EKA_OCI_USERNAME;
    this.password = options.password ?? process.env.EKA_OCI_PASSWORD;
    const token = options.token ?? process.env.EKA_OCI_TOKEN;
    if (token) this.authorization = `Bearer ${token}`;
  }

  get where(): string {
    return `${this.ref.host}/${this.ref.repo}`;
  }

  /** Whether the repository holds the blob. */
  async hasBlob(digest: string): Promise<boolean> {
    const res = await this.request("HEAD", `/v2/${this.ref.repo}/blobs/${digest}`, {}, `checking blob ${digest}`, [200, 404]);
    return res.status === 200;
  }

  /** Uploads a blob unless it is there already (monolithic: POST, then PUT with the digest). */
  async putBlob(bytes: Uint8Array, digest = sha256Digest(bytes)): Promise<void> {
    if (await this.hasBlob(digest)) return;
    const what = `uploading blob ${digest} (${bytes.length} bytes)`;
    await this.retrying(what, async () => {
      const start = await this.once("POST", `/v2/${this.ref.repo}/blobs/uploads/`, { headers: { "content-length": "0" } }, what);
      if (start.status !== 202) return start;
      await start.arrayBuffer();
      const location = start.headers.get("location");
      if (!location) throw new EkaError("E_REGISTRY", `${this.where}: ${what}: the registry gave no upload location`);
      const url = new URL(location, this.ref.base);
      url.searchParams.set("digest", digest);
      return this.once("PUT", url.pathname + url.search, { headers: { "content-type": "application/octet-stream", "content-length": String(bytes.length) }, body: bytes }, what);
    }, [201]);
  }

  /** Puts a manifest under `reference` (a tag, or its digest); returns its digest. */
  async putManifest(reference: string, bytes: Uint8Array, mediaType: string = MEDIA.manifest): Promise<string> {
    const digest = sha256Digest(bytes);
    const res = await this.request("PUT", `/v2/${this.ref.repo}/manifests/${reference}`, { headers: { "content-type": mediaType }, body: bytes }, `putting manifest ${reference}`, [201]);
    const said = res.headers.get("docker-content-digest");
    if (said && said !== digest) throw new EkaError("E_OCI_DIGEST", `${this.where}: the registry stored manifest ${reference} as ${said}, but its bytes hash to ${digest}`);
    return digest;
  }

  /** The manifest `reference` names, or null if the registry has none; its bytes checked against a digest reference and the registry's Docker-Content-Digest. */
  async getManifest(reference: string): Promise<FetchedManifest | null> {
    const res = await this.request("GET", `/v2/${this.ref.repo}/manifests/${reference}`, { headers: { accept: ACCEPT } }, `getting manifest ${reference}`, [200, 404]);
    if (res.status === 404) {
      await res.arrayBuffer();
      return null;
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    const digest = sha256Digest(bytes);
    const said = res.headers.get("docker-content-digest");
    if (reference.startsWith("sha256:") && digest !== reference) {
      throw new EkaError("E_OCI_DIGEST", `${this.where}: manifest ${reference} arrived with bytes hashing to ${digest}; refusing it (the registry or something between is altering it)`);
    }
    if (said && said !== digest) throw new EkaError("E_OCI_DIGEST", `${this.where}: manifest ${reference} hashes to ${digest}, but the registry says ${said}; refusing it`);
    return { bytes, mediaType: (res.headers.get("content-type") ?? MEDIA.manifest).split(";")[0] as string, digest };
  }

  /** Whether a manifest exists under `reference`. */
  async hasManifest(reference: string): Promise<boolean> {
    const res = await this.request("HEAD", `/v2/${this.ref.repo}/manifests/${reference}`, { headers: { accept: ACCEPT } }, `checking manifest ${reference}`, [200, 404]);
    return res.status === 200;
  }

  /** A blob's bytes, checked against its digest (and `size` when given); null if missing. */
  async getBlob(digest: string, size?: number): Promise<Uint8Array | null> {
    const res = await this.request("GET", `/v2/${this.ref.repo}/blobs/${digest}`, {}, `getting blob ${digest}`, [200, 404]);
    if (res.status === 404) {
      await res.arrayBuffer();
      return null;
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (size !== undefined && bytes.length !== size) {
      throw new EkaError("E_OCI_DIGEST", `${this.where}: blob ${digest} is ${bytes.length} bytes, but its descriptor says ${size}; refusing it`);
    }
    const got = sha256Digest(bytes);
    if (got !== digest) throw new EkaError("E_OCI_DIGEST", `${this.where}: blob ${digest} arrived with bytes hashing to ${got}; refusing it`);
    return bytes;
  }

  private async request(method: string, path: string, init: { headers?: Record<string, string>; body?: Uint8Array }, what: string, ok: number[]): Promise<Response> {
    return this.retrying(what, () => this.once(method, path, init, what), ok);
  }

  /** Runs `attempt` until it answers one of `ok`; 5xx answers and broken connections are tried again. */
  private async retrying(what: string, attempt: () => Promise<Response>, ok: number[]): Promise<Response> {
    let last = "";
    let tried = 0;
    for (let i = 0; i < this.tries; i++) {
      tried++;
      if (i > 0) await new Promise((r) => setTimeout(r, this.backoffMs * 2 ** (i - 1)));
      let res: Response;
      try {
        res = await attempt();
      } catch (e) {
        if (e instanceof EkaError) throw e;
        last = fetchFailureReason(e);
        continue;
      }
      if (ok.includes(res.status)) return res;
      const body = (await res.text().catch(() => "")).slice(0, 300).trim();
      last = `HTTP ${res.status}${body ? `: ${body}` : ""}`;
      if (res.status < 500) break;
    }
    throw new EkaError("E_REGISTRY", `${this.where}: ${what} failed after ${tried} ${tried === 1 ? "try" : "tries"} (${last}); check the registry at ${this.ref.base}`);
  }

  private async once(method: string, path: string, init: { headers?: Record<string, string>; body?: Uint8Array }, what: string): Promise<Response> {
    const send = () => {
      const headers: Record<string, string> = { ...(init.headers ?? {}), ...(this.authorization ? { authorization: this.authorization } : {}) };
      return fetch(`${this.ref.base}${path}`, { method, headers, ...(init.body ? { body: init.body as Uint8Array<ArrayBuffer> } : {}) });
    };
    const res = await send();
    if (res.status !== 401) return res;
    const challenge = res.headers.get("www-authenticate") ?? "";
    await res.arrayBuffer().catch(() => undefined);
    const before = this.authorization;
    await this.authorize(challenge, what);
    if (this.authorization === before) {
      throw new EkaError("E_REGISTRY", `${this.where}: ${what}: the registry refused the credentials (HTTP 401${challenge ? `, ${challenge}` : ""}); check $EKA_OCI_USERNAME/$EKA_OCI_PASSWORD or $EKA_OCI_TOKEN`);
    }
    return send();
  }

  /** Answers a 401's challenge: a token from a Bearer realm, or basic credentials. */
  private async authorize(challenge: string, what: string): Promise<void> {
    const scheme = challenge.split(" ")[0]?.toLowerCase() ?? "";
    const params = new Map<string, string>();
    for (const m of challenge.slice(scheme.length).matchAll(/([A-Za-z]+)="([^"]*)"/g)) params.set((m[1] as string).toLowerCase(), m[2] as string);
    const basic = this.username !== undefined ? `Basic ${Buffer.from(`${this.username}:${this.password ?? ""}`).toString("base64")}` : undefined;
    if (scheme === "basic") {
      if (!basic) throw new EkaError("E_REGISTRY", `${this.where}: ${what}: the registry asks for a username and password; set $EKA_OCI_USERNAME and $EKA_OCI_PASSWORD`);
      this.authorization = basic;
      return;
    }
    const realm = params.get("realm");
    if (scheme !== "bearer" || !realm) {
      throw new EkaError("E_REGISTRY", `${this.where}: ${what}: HTTP 401 with a challenge eka does not answer ('${challenge || "none"}'); set $EKA_OCI_TOKEN to a bearer token`);
    }
    const url = new URL(realm);
    for (const k of ["service", "scope"]) {
      const v = params.get(k);
      if (v) url.searchParams.set(k, v);
    }
    let res: Response;
    try {
      res = await fetch(url, basic ? { headers: { authorization: basic } } : {});
    } catch (e) {
      throw new EkaError("E_REGISTRY", `${this.where}: cannot reach the token service ${url.origin}: ${fetchFailureReason(e)}`);
    }
    if (!res.ok) {
      await res.arrayBuffer().catch(() => undefined);
      throw new EkaError("E_REGISTRY", `${this.where}: the token service ${url.origin}${url.pathname} refused ${basic ? `the credentials of '${this.username}'` : "an anonymous token"} (HTTP ${res.status}); ${basic ? "check $EKA_OCI_USERNAME/$EKA_OCI_PASSWORD" : "set $EKA_OCI_USERNAME and $EKA_OCI_PASSWORD"}`);
    }
    const body = (await res.json().catch(() => ({}))) as { token?: unknown; access_token?: unknown };
    const token = typeof body.token === "string" ? body.token : typeof body.access_token === "string" ? body.access_token : undefined;
    if (!token) throw new EkaError("E_REGISTRY", `${this.where}: the token service ${url.origin}${url.pathname} answered without a token`);
    this.authorization = `Bearer ${token}`;
  }

}
