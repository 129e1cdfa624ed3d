import { Decimal } from 'decimal.js';

// Money is a Decimal inside the service and a "123.45" string at every edge.

// The amount patterns: one home. Every amount they accept fits numeric(14,2): at most 12 digits
// before the point (999 999 999 999.99), exactly two after it, no leading zeros, no exponent.

/** A signed amount: `"-20.00"`, `"0.00"`, `"123.45"` (corrections may be negative). */
export const AMOUNT_PATTERN = /^-?(0|[1-9]\d{0,11})\.\d{2}$/;
/** An amount without a sign: `"0.00"`, `"123.45"` (payments, protocol fields, bank lines). */
export const UNSIGNED_AMOUNT_PATTERN = /^(0|[1-9]\d{0,11})\.\d{2}$/;
/** The largest value a numeric(14,2) column holds. */
export const MAX_AMOUNT = new Decimal('999999999999.99');

/** True when a Decimal can be stored in numeric(14,2) without rounding or overflow. */
export function fitsNumeric14x2(value: Decimal | string): boolean {
  const d = new Decimal(value);
  return d.abs().lte(MAX_AMOUNT) && d.decimalPlaces() <= 2;
}

/** A positive amount string: matches the unsigned pattern and is not zero. */
export function isPositiveAmount(value: string): boolean {
  return UNSIGNED_AMOUNT_PATTERN.test(value) && value !== '0.00';
}

/** Prints exactly two fractional digits; rounding never happens silently on valid amounts. */
export function formatMoney(value: Decimal | string): string {
  // Decimal's own toFixed (exact decimal arithmetic), not Number's.
  return new Decimal(value).toFixed(2, Decimal.ROUND_HALF_UP);
}

export const ZERO = new Decimal(0);

export function sum(values: Iterable<Decimal | string>): Decimal {
  let total = new Decimal(0);
  for (const v of values) total = total.plus(v);
  return total;
}
