import { Decimal } from 'decimal.js';
import { formatMonth, formatNumber } from './format.js';

export interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
  label: string;
  value: string;
  labelX: number;
}

export interface BarChart {
  width: number;
  height: number;
  /** Plot area: the axis line and gridlines are drawn from these. */
  top: number;
  bottom: number;
  left: number;
  right: number;
  bars: Bar[];
  ticks: { y: number; label: string }[];
  unit: string;
}

/**
 * A bar chart of consumption per period laid out on the server: the template draws it as SVG
 * (no script, no inline style), the periods oldest first, at most `maxBars` of the newest.
 */
export function consumptionChart(periods: { period: string; consumption: string }[], maxBars = 12): BarChart {
  const chosen = [...periods].sort((a, b) => (a.period < b.period ? -1 : 1)).slice(-maxBars);
  const width = 720;
  const height = 260;
  const left = 56;
  const right = width - 12;
  const top = 30;
  const bottom = height - 48;
  const values = chosen.map((p) => Decimal.max(0, new Decimal(p.consumption)));
  const max = values.reduce((m, v) => Decimal.max(m, v), new Decimal(0));
  const scaleMax = niceCeiling(max);
  const slot = chosen.length ? (right - left) / chosen.length : 0;
  const barWidth = Math.min(48, slot * 0.7);
  const bars = chosen.map((p, i) => {
    const value = values[i]!;
    const h = scaleMax.isZero() ? 0 : value.div(scaleMax).times(bottom - top).toNumber();
    const x = left + slot * i + (slot - barWidth) / 2;
    return {
      x: round(x),
      y: round(bottom - h),
      width: round(barWidth),
      height: round(h),
      label: p.period.length === 7 ? shortMonth(p.period) : p.period,
      value: `${formatNumber(value.toFixed(3), 3)} m³`,
      labelX: round(x + barWidth / 2),
    };
  });
  const ticks = [0, 0.5, 1].map((f) => {
    const value = scaleMax.times(f);
    const digits = value.isInteger() ? 0 : 1;
    return { y: round(bottom - f * (bottom - top)), label: formatNumber(value.toFixed(digits), digits) };
  });
  return { width, height, top, bottom, left, right, bars, ticks, unit: 'm³' };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** 1, 2 or 5 times a power of ten, at least the maximum (and at least 1). */
function niceCeiling(max: Decimal): Decimal {
  if (max.lte(1)) return new Decimal(1);
  const exp = Math.floor(Math.log10(max.toNumber()));
  const base = new Decimal(10).pow(exp);
  for (const m of [1, 2, 5, 10]) {
    const candidate = base.times(m);
    if (candidate.gte(max)) return candidate;
  }
  return base.times(10);
}

/** `2026-05` → `05.2026` under a bar (the full name is in the table below the chart). */
function shortMonth(period: string): string {
  return `${period.slice(5, 7)}.${period.slice(2, 4)}`;
}

export { formatMonth };
