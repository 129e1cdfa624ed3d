import { describe, expect, it } from 'vitest';
import { consumptionChart } from '../../../src/web/chart.js';

describe('consumption chart layout', () => {
  it('draws the newest periods oldest first, bars proportional to consumption on a round scale', () => {
    const chart = consumptionChart([
      { period: '2026-03', consumption: '4.000' },
      { period: '2026-01', consumption: '8.000' },
      { period: '2026-02', consumption: '2.000' },
    ]);
    expect(chart.bars.map((b) => b.label)).toEqual(['01.26', '02.26', '03.26']);
    expect(chart.ticks.map((t) => t.label)).toEqual(['0', '5', '10']);
    const [jan, feb, mar] = chart.bars;
    expect(jan!.height / feb!.height).toBeCloseTo(4, 1);
    expect(mar!.height / feb!.height).toBeCloseTo(2, 1);
    expect(jan!.y + jan!.height).toBeCloseTo(chart.bottom, 5);
    expect(jan!.value).toBe('8,000 m³');
  });

  it('keeps at most twelve bars and survives no data or zero consumption', () => {
    const many = Array.from({ length: 20 }, (_, i) => ({ period: `20${String(10 + i)}`, consumption: '1.5' }));
    expect(consumptionChart(many).bars).toHaveLength(12);
    expect(consumptionChart(many).bars[0]!.label).toBe('2018');
    expect(consumptionChart([]).bars).toEqual([]);
    expect(consumptionChart([{ period: '2026-01', consumption: '0.000' }]).bars[0]!.height).toBe(0);
    expect(consumptionChart([{ period: '2026-01', consumption: '3.650' }]).ticks.map((t) => t.label)).toEqual(['0', '2,5', '5']);
  });
});
