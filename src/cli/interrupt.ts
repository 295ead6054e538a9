// Node-only: Ctrl-C while eka builds. The first one says so at once and aborts the build (its
// running steps are terminated, its locks released, exit 130 via E_ABORTED); a second quits at
// once: a lock it leaves is stale once this process is gone, and the next build takes it over.

/** Runs `build` with a signal that the first Ctrl-C aborts; `progress` is cleared before the notice. */
export async function interruptible<T>(build: (signal: AbortSignal) => Promise<T>, progress?: { finish(): void }): Promise<T> {
  const ac = new AbortController();
  const onSigint = () => {
    if (ac.signal.aborted) process.exit(130);
    progress?.finish();
    process.stderr.write("eka: stopping… (Ctrl-C again to quit at once)\n");
    ac.abort();
  };
  process.on("SIGINT", onSigint);
  try {
    return await build(ac.signal);
  } finally {
    process.off("SIGINT", onSigint);
  }
}
