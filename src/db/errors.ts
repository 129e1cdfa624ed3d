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
