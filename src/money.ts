import { Decimal } from 'decimal.js';

/** Money is a Decimal inside the service and a "123.45" string at every edge. */
export type Money = Decimal;

export const AMOUNT_PATTERN = /^-?(0|[1-9]\d{0,11})\.\d{2}$/;

export function money(value: string | Decimal): Decimal {
  return new Decimal(value);
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
