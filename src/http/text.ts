import { commonErrors, type AppError } from '../errors.js';

// U+0000, or a UTF-16 surrogate without its partner: text that PostgreSQL refuses (NUL in text
// columns) or that is not Unicode at all. Refused at the edge (SPEC 4.6) so no layer below ever
// meets it.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const NUL = String.fromCharCode(0);

function unsafe(text: string): boolean {
  return text.includes(NUL) || LONE_SURROGATE.test(text);
}

/** The path of the first string (value or object key) holding unsafe text, or undefined. */
export function findUnsafeText(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return unsafe(value) ? path || '(value)' : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnsafeText(value[i], path ? `${path}.${i}` : String(i));
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      const here = path ? `${path}.${key}` : key;
      if (unsafe(key)) return here;
      const found = findUnsafeText(v, here);
      if (found) return found;
    }
  }
  return undefined;
}

/** The 400 `invalid_text` when `value` holds a NUL byte or a lone surrogate anywhere, else undefined. */
export function unsafeTextError(value: unknown, where: string): AppError | undefined {
  const field = findUnsafeText(value);
  if (!field) return undefined;
  return commonErrors.create('invalid_text', `Invalid ${where}: ${field} holds a NUL character or a lone surrogate.`, [
    { field, message: 'holds a NUL character or a lone surrogate' },
  ]);
}

/** Throws the 400 `invalid_text` when `value` holds a NUL byte or a lone surrogate anywhere. */
export function refuseUnsafeText(value: unknown, where: string): void {
  const error = unsafeTextError(value, where);
  if (error) throw error;
}
