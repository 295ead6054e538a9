/**
 * The one error type eka throws on purpose. `code` is stable (scripts and tests match on it);
 * `message` says what is wrong and, where there is one, the fix. Only the CLI entry point prints
 * errors and picks the exit status.
 */
export class EkaError extends Error {
  override readonly name = "EkaError";
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export function isEkaError(e: unknown, code?: string): e is EkaError {
  return e instanceof EkaError && (code === undefined || e.code === code);
}
