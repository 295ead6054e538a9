// Node-only: Ctrl-C while eka builds. The first one says so at once and aborts the build (its
// running steps are terminated, its locks released, exit 130 via E_ABORTED); a second quits at
// once: a lock it leaves is stale once this process is gone, and the next build takes it over.
// Inside `eka daemon` a request's cancel (its client's Ctrl-C, or the client going away) plays the
// first Ctrl-C's part, for that request only; the daemon itself ignores SIGINT's meaning here.

let ambientSignal: () => AbortSignal | undefined = () => undefined;

/** The daemon names each request's cancel signal here (daemon/ambient.node.ts). */
export function setAmbientSignal(get: () => AbortSignal | undefined): void {
  ambientSignal = get;
}

/** Runs `build` with a signal that the first Ctrl-C aborts; `progress` is cleared before the notice. */
export async function interruptible<T>(build: (signal: AbortSignal) => Promise<T>, progress?: { finish(): void }): Promise<T> {
  const ac = new AbortController();
  // Taken now: a cancel's listener runs outside the daemon request whose stderr this is.
  const stderr = process.stderr;
  const stop = () => {
    progress?.finish();
    stderr.write("eka: stopping… (Ctrl-C again to quit at once)\n");
    ac.abort();
  };
  const request = ambientSignal();
  if (request) {
    if (request.aborted) stop();
    else request.addEventListener("abort", stop, { once: true });
    try {
      return await build(ac.signal);
    } finally {
      request.removeEventListener("abort", stop);
    }
  }
  const onSigint = () => {
    if (ac.signal.aborted) process.exit(130);
    stop();
  };
  process.on("SIGINT", onSigint);
  try {
    return await build(ac.signal);
  } finally {
    process.off("SIGINT", onSigint);
  }
}
