/** PostgreSQL's SQLSTATE for a unique violation (the same from pg and from PGlite). */
const UNIQUE_VIOLATION = '23505';

/**
 * True when `err` is a unique violation of the named constraint (or of any unique constraint
 * when none is named). The database enforces what must never happen twice; the code asks
 * which rule fired, by name, to answer the caller.
 */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: unknown; constraint?: unknown } | null | undefined;
  if (!e || e.code !== UNIQUE_VIOLATION) return false;
  return constraint === undefined || e.constraint === constraint;
}

/** SQLSTATEs of a transaction that lost a lock cycle or a serialization check (the same from pg and from PGlite). */
const RETRYABLE = new Set(['40P01', '40001']);

/**
 * True when `err` is a deadlock (40P01) or a serialization failure (40001): the database rolled
 * the transaction back and the same work may simply be run again.
 */
export function isRetryableConflict(err: unknown): boolean {
  const e = err as { code?: unknown } | null | undefined;
  return !!e && typeof e.code === 'string' && RETRYABLE.has(e.code);
}
