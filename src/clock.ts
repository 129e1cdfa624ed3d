/** Time comes from here, so expiry, tolerance windows and daily jobs are testable. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock tests can move by hand. */
export class ManualClock implements Clock {
  constructor(private current: Date = new Date()) {}
  now(): Date {
    return new Date(this.current.getTime());
  }
  set(at: Date): void {
    this.current = new Date(at.getTime());
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

// Business dates (issue, due, payment, settlement dates, reminders) are calendar dates in
// Europe/Warsaw written YYYY-MM-DD (SPEC 2). This file is their one home: nothing else formats
// or shifts a business date.

const WARSAW = 'Europe/Warsaw';

// One formatter each, built once: Intl formatters are slow to create and cheap to reuse.
const warsawDay = new Intl.DateTimeFormat('en-CA', { timeZone: WARSAW, year: 'numeric', month: '2-digit', day: '2-digit' });
const warsawHourFormat = new Intl.DateTimeFormat('en-GB', { timeZone: WARSAW, hour: '2-digit', hourCycle: 'h23' });

// The last answer, by the minute it was for: Warsaw's offset is whole hours, so its date only
// changes at a minute boundary, and formatToParts is slow enough to show on every request.
let lastMinute = NaN;
let lastDate = '';

/** The calendar date (YYYY-MM-DD) of an instant in Europe/Warsaw. */
export function warsawDate(at: Date): string {
  const minute = Math.floor(at.getTime() / 60_000);
  if (minute === lastMinute) return lastDate;
  const parts = warsawDay.formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const date = `${get('year')}-${get('month')}-${get('day')}`;
  lastMinute = minute;
  lastDate = date;
  return date;
}

/** The hour (0–23) of an instant on the wall clock in Europe/Warsaw. */
export function warsawHour(at: Date): number {
  return Number(warsawHourFormat.format(at));
}

const DATE_SHAPE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date written YYYY-MM-DD (no 2026-02-30), from 1900 on. */
export function isCalendarDate(value: string): boolean {
  const m = DATE_SHAPE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d && y >= 1900;
}

/**
 * A calendar date `days` later (earlier when negative). Pure calendar arithmetic on the date
 * itself, so no time zone or daylight-saving change can shift it.
 */
export function addDays(date: string, days: number): string {
  const m = DATE_SHAPE.exec(date);
  if (!m) throw new Error(`addDays: not a date: ${date}`);
  const utc = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + days));
  return utc.toISOString().slice(0, 10);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  const ms = (d: string) => {
    const m = DATE_SHAPE.exec(d);
    if (!m) throw new Error(`daysBetween: not a date: ${d}`);
    return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  };
  return Math.round((ms(to) - ms(from)) / 86_400_000);
}

/** Today in Europe/Warsaw by the given clock. */
export function warsawToday(clock: Clock): string {
  return warsawDate(clock.now());
}
