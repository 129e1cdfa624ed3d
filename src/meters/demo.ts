import { addDays, warsawDate, type Clock } from '../clock.js';
import type { FeedReading, MeterBody } from './schema.js';
import type { MeterService } from './service.js';

/**
 * The demo customer's meters, fed as the billing system would: a main meter on each property and
 * a garden sub-meter, one of them with legalisation ending within 90 days, and two years of
 * monthly readings (utility reads every other month, estimates in between; radio reads on the
 * second property). Values are computed, not random, so every demo looks the same.
 */
export async function seedDemoMeters(
  meters: MeterService,
  clock: Clock,
  demo: { customerNumber: string; mainPropertyId: string; secondPropertyId: string },
): Promise<string[]> {
  const today = warsawDate(clock.now());
  const years = (n: number) => addDays(today, Math.round(n * 365.25));
  const tariff = { code: 'G1', name: 'Gospodarstwa domowe' };
  const specs: { serial: string; body: MeterBody; monthly: (month: number) => number; type: (i: number) => FeedReading['type'] }[] = [
    {
      serial: `WM-${demo.customerNumber}-01`,
      body: {
        customerNumber: demo.customerNumber,
        propertyId: demo.mainPropertyId,
        kind: 'main',
        status: 'active',
        owner: 'utility',
        registeredOn: addDays(years(-5), -3),
        installedOn: addDays(years(-5), 45),
        legalisedOn: addDays(years(-5), 45),
        // Ends in 45 days: the warning shows, and the 30-day notice comes in two weeks.
        legalisationValidUntil: addDays(today, 45),
        diameterMm: 20,
        tariff,
      },
      // A household of three: about 9 m³ a month, more in summer.
      monthly: (m) => 8 + (m >= 5 && m <= 8 ? 2.5 : 0) + (m % 3) * 0.4,
      type: (i) => (i % 2 === 0 ? 'actual' : 'estimated'),
    },
    {
      serial: `WM-${demo.customerNumber}-02`,
      body: {
        customerNumber: demo.customerNumber,
        propertyId: demo.mainPropertyId,
        kind: 'sub',
        status: 'active',
        owner: 'customer',
        registeredOn: years(-3),
        installedOn: years(-3),
        legalisedOn: years(-3),
        legalisationValidUntil: years(2),
        diameterMm: 15,
        tariff: { code: 'G1-OGR', name: 'Woda bezpowrotnie zużyta (ogród)' },
      },
      // Garden watering: only from May to September.
      monthly: (m) => (m >= 5 && m <= 9 ? 2 + (m === 7 ? 2.2 : 1.1) : 0),
      type: (i) => (i % 2 === 0 ? 'actual' : 'estimated'),
    },
    {
      serial: `WM-${demo.customerNumber}-03`,
      body: {
        customerNumber: demo.customerNumber,
        propertyId: demo.secondPropertyId,
        kind: 'main',
        status: 'active',
        owner: 'utility',
        registeredOn: years(-2.5),
        installedOn: years(-2.5),
        legalisedOn: years(-2.5),
        legalisationValidUntil: years(2.5),
        diameterMm: 20,
        tariff,
      },
      // A small flat: about 3.5 m³ a month.
      monthly: (m) => 3.2 + (m % 4) * 0.15,
      type: () => 'remote',
    },
  ];

  const readings: FeedReading[] = [];
  for (const spec of specs) {
    await meters.upsertMeter(spec.serial, spec.body);
    // 25 readings, monthly on the 5th up to the latest 5th not after today: two years of consumption.
    let register = spec.body.kind === 'sub' ? 37.125 : 412.5;
    const [y, m, d] = today.split('-').map(Number) as [number, number, number];
    const latest = y * 12 + (m - 1) - (d < 5 ? 1 : 0); // months since year 0 of the latest reading
    for (let i = 0; i < 25; i += 1) {
      const at = latest - 24 + i;
      const month = at % 12; // 0-based
      const readOn = `${Math.floor(at / 12)}-${String(month + 1).padStart(2, '0')}-05`;
      if (i > 0) register += spec.monthly(month === 0 ? 12 : month); // the month just ended (1-based)
      readings.push({ meterSerial: spec.serial, readOn, type: spec.type(i), value: register.toFixed(3) });
    }
  }
  await meters.feedReadings(readings);
  return specs.map((s) => s.serial);
}
