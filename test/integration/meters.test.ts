import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BILLING_TOKEN, startTestService, type TestService } from '../helpers/service.js';
import { createCustomer, loginAs, uniqueNumber, type TestCustomer } from '../helpers/factories.js';
import { seedDemoMeters } from '../../src/meters/index.js';

// The test clock starts at 2026-11-20T10:00Z: today in Warsaw is 2026-11-20.
let svc: TestService;
let staffToken: string;
beforeAll(async () => {
  svc = await startTestService();
  await svc.deps.auth.ensureStaff('ksiegowa-meters', 'Liczniki-i-odczyty-2026', 'accounting');
  staffToken = await loginAs(svc, 'ksiegowa-meters', 'Liczniki-i-odczyty-2026');
});
afterAll(async () => {
  await svc?.close();
});

function meterBody(c: { customerNumber: string; propertyId: string }, overrides: Record<string, unknown> = {}) {
  return {
    customerNumber: c.customerNumber,
    propertyId: c.propertyId,
    kind: 'main',
    status: 'active',
    owner: 'utility',
    registeredOn: '2021-03-01',
    installedOn: '2021-03-10',
    legalisedOn: '2021-03-10',
    legalisationValidUntil: '2031-03-10',
    diameterMm: 20,
    tariff: { code: 'G1', name: 'Gospodarstwa domowe' },
    ...overrides,
  };
}

async function putMeter(serial: string, c: { customerNumber: string; propertyId: string }, overrides: Record<string, unknown> = {}) {
  return svc.request('PUT', `/api/billing/meters/${encodeURIComponent(serial)}`, { token: BILLING_TOKEN, body: meterBody(c, overrides) });
}

async function feed(readings: Record<string, unknown>[]) {
  return svc.request('POST', '/api/billing/readings', { token: BILLING_TOKEN, body: { readings } });
}

async function meterWithReadings(c: TestCustomer, values: [string, string][], overrides: Record<string, unknown> = {}, prefix = 'WM') {
  const serial = uniqueNumber(prefix);
  expect((await putMeter(serial, c, overrides)).status).toBe(201);
  if (values.length) {
    const res = await feed(values.map(([readOn, value]) => ({ meterSerial: serial, readOn, type: 'actual', value })));
    expect(res.status).toBe(200);
  }
  return serial;
}

/** A cursor of the service's shape with made-up parts (a client may send anything). */
const forgedCursor = (...parts: string[]) => Buffer.from(JSON.stringify(parts)).toString('base64url');
const get = (path: string, token?: string) => svc.request('GET', path, token ? { token } : {});
const report = (serial: string, body: unknown, token: string) =>
  svc.request('POST', `/api/meters/${encodeURIComponent(serial)}/readings`, { token, body });

describe('billing feed: meters', () => {
  it('creates a meter (201), the same body again changes nothing (200), a change is kept in the history', async () => {
    const c = await createCustomer(svc);
    const serial = uniqueNumber('WM');
    const first = await putMeter(serial, c);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ serialNumber: serial, customerNumber: c.customerNumber, propertyId: c.propertyId, kind: 'main', removedOn: null });
    expect((await putMeter(serial, c)).status).toBe(200);
    const meterId = (await svc.db.knex('meters').where({ serial_number: serial }).first()).id;
    const countHistory = async () => Number((await svc.db.knex('meter_history').where({ meter_id: meterId }).count('* as n').first())?.n);
    expect(await countHistory()).toBe(1);
    const changed = await putMeter(serial, c, { status: 'removed', removedOn: '2026-11-01' });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ status: 'removed', removedOn: '2026-11-01' });
    expect(await countHistory()).toBe(2);
    const history = await svc.db.knex('meter_history').where({ meter_id: meterId }).orderBy('id');
    expect(history.map((h) => h.body.status)).toEqual(['active', 'removed']);
  });

  it('answers 422 naming customerNumber or propertyId when they were not fed, and another customer\'s property', async () => {
    const c = await createCustomer(svc);
    const other = await createCustomer(svc);
    const unknownCustomer = await putMeter(uniqueNumber('WM'), { customerNumber: 'NO-SUCH-CUSTOMER', propertyId: c.propertyId });
    expect(unknownCustomer.status).toBe(422);
    expect(unknownCustomer.body.error).toMatchObject({ code: 'unknown_customer', details: { field: 'customerNumber' } });
    const unknownProperty = await putMeter(uniqueNumber('WM'), { customerNumber: c.customerNumber, propertyId: 'P-NOWHERE' });
    expect(unknownProperty.status).toBe(422);
    expect(unknownProperty.body.error).toMatchObject({ code: 'unknown_property', details: { field: 'propertyId' } });
    const foreign = await putMeter(uniqueNumber('WM'), { customerNumber: c.customerNumber, propertyId: other.propertyId });
    expect(foreign.status).toBe(422);
    expect(foreign.body.error.details.field).toBe('propertyId');
  });

  it('refuses bad bodies with 400 naming the field, and callers without the billing token', async () => {
    const c = await createCustomer(svc);
    const cases: [Record<string, unknown>, string][] = [
      [{ kind: 'garden' }, 'kind'],
      [{ status: 'broken' }, 'status'],
      [{ owner: 'someone' }, 'owner'],
      [{ installedOn: '2026-02-30' }, 'installedOn'],
      [{ legalisationValidUntil: '2020-01-01' }, 'legalisationValidUntil'],
      [{ status: 'removed' }, 'removedOn'],
      [{ tariff: { code: 'G1' } }, 'tariff.name'],
      [{ diameterMm: '20' }, 'diameterMm'],
      [{ colour: 'blue' }, '(body)'],
    ];
    for (const [overrides, field] of cases) {
      const res = await putMeter(uniqueNumber('WM'), c, overrides);
      expect(res.status, JSON.stringify(overrides)).toBe(400);
      expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    }
    const bad = await svc.request('PUT', '/api/billing/meters/bad%20serial', { token: BILLING_TOKEN, body: meterBody(c) });
    expect(bad.status).toBe(400);
    const noToken = await svc.request('PUT', `/api/billing/meters/${uniqueNumber('WM')}`, { body: meterBody(c) });
    expect(noToken.status).toBe(401);
    const customerToken = await svc.request('PUT', `/api/billing/meters/${uniqueNumber('WM')}`, { token: c.token, body: meterBody(c) });
    expect(customerToken.status).toBe(401);
  });
});

describe('billing feed: readings', () => {
  it('stores readings, computes consumption when absent, keeps a given one; the same batch again changes nothing', async () => {
    const c = await createCustomer(svc);
    const serial = await meterWithReadings(c, []);
    const batch = [
      { meterSerial: serial, readOn: '2026-07-05', type: 'actual', value: '100' },
      { meterSerial: serial, readOn: '2026-08-05', type: 'estimated', value: '109.5' },
      { meterSerial: serial, readOn: '2026-09-05', type: 'actual', value: '120.250', consumption: '11.000' },
      { meterSerial: serial, readOn: '2026-10-05', type: 'remote', value: '131.001' },
    ];
    const first = await feed(batch);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ accepted: 4, unchanged: 0 });
    const again = await feed(batch);
    expect(again.body).toEqual({ accepted: 0, unchanged: 4 });
    const rows = await svc.db.knex('meter_readings as r').join('meters as m', 'm.id', 'r.meter_id').where('m.serial_number', serial).orderBy('read_on');
    expect(rows.map((r) => [r.read_on, String(r.value), r.consumption === null ? null : String(r.consumption)])).toEqual([
      ['2026-07-05', '100.000', null],
      ['2026-08-05', '109.500', '9.500'],
      ['2026-09-05', '120.250', '11.000'],
      ['2026-10-05', '131.001', '10.751'],
    ]);
    // A corrected value of a key is an update: the next computed consumption follows it.
    const corrected = await feed([{ meterSerial: serial, readOn: '2026-08-05', type: 'estimated', value: '110' }]);
    expect(corrected.body).toEqual({ accepted: 1, unchanged: 0 });
    const list = await get(`/api/meters/${serial}/readings`, c.token);
    expect(list.body.items.map((r: { value: string; consumption: string | null }) => [r.value, r.consumption])).toEqual([
      ['131.001', '10.751'],
      ['120.250', '11.000'],
      ['110.000', '10.000'],
      ['100.000', null],
    ]);
  });

  it('a reading that arrives late (earlier date) recomputes the consumption of the one after it', async () => {
    const c = await createCustomer(svc);
    const serial = await meterWithReadings(c, [
      ['2026-01-05', '10'],
      ['2026-03-05', '30'],
    ]);
    expect((await feed([{ meterSerial: serial, readOn: '2026-02-05', type: 'actual', value: '18' }])).body).toEqual({ accepted: 1, unchanged: 0 });
    const list = await get(`/api/meters/${serial}/readings`, c.token);
    expect(list.body.items.map((r: { date: string; consumption: string | null }) => [r.date, r.consumption])).toEqual([
      ['2026-03-05', '12.000'],
      ['2026-02-05', '8.000'],
      ['2026-01-05', null],
    ]);
    // Above the later reading: refused, naming it.
    const late = await feed([{ meterSerial: serial, readOn: '2026-02-20', type: 'actual', value: '31' }]);
    expect(late.status).toBe(422);
    expect(late.body.error).toMatchObject({ code: 'reading_out_of_order', details: { field: 'readings.0.value' } });
  });

  it('one bad reading refuses the whole batch, naming its index; nothing of it is stored', async () => {
    const c = await createCustomer(svc);
    const serial = await meterWithReadings(c, [['2026-01-05', '50']]);
    const good = (day: string, value: string) => ({ meterSerial: serial, readOn: `2026-02-${day}`, type: 'actual', value });
    const count = async () => Number((await svc.db.knex('meter_readings as r').join('meters as m', 'm.id', 'r.meter_id').where('m.serial_number', serial).count('* as n').first())?.n);

    const cases: [Record<string, unknown>, number, string, string][] = [
      [{ ...good('04', '60'), value: '1.2345' }, 422, 'invalid_reading', 'readings.3.value'],
      [{ ...good('04', '60'), value: 60 }, 422, 'invalid_reading', 'readings.3.value'],
      [{ ...good('04', '60'), value: '1234567890' }, 422, 'invalid_reading', 'readings.3.value'],
      [{ ...good('04', '60'), value: '-1' }, 422, 'invalid_reading', 'readings.3.value'],
      [{ ...good('04', '60'), consumption: 'x' }, 422, 'invalid_reading', 'readings.3.consumption'],
      [{ ...good('04', '60'), type: 'guess' }, 422, 'invalid_reading', 'readings.3.type'],
      [{ ...good('04', '60'), readOn: '2026-13-01' }, 422, 'invalid_reading', 'readings.3.readOn'],
      [{ ...good('04', '60'), note: 'x' }, 422, 'invalid_reading', 'readings.3'],
      [{ readOn: '2026-02-04', type: 'actual', value: '60' }, 422, 'invalid_reading', 'readings.3.meterSerial'],
      [null as unknown as Record<string, unknown>, 422, 'invalid_reading', 'readings.3'],
      [{ ...good('04', '60'), meterSerial: 'NO-SUCH-METER' }, 422, 'unknown_meter', 'readings.3.meterSerial'],
      [good('01', '51'), 422, 'duplicate_reading_in_batch', 'readings.3'],
      [{ ...good('04', '40') }, 422, 'reading_below_previous', 'readings.3.value'],
    ];
    for (const [bad, status, code, field] of cases) {
      const res = await feed([good('01', '51'), good('02', '52'), good('03', '53'), bad]);
      expect(res.status, JSON.stringify(bad)).toBe(status);
      expect(res.body.error.code).toBe(code);
      const fields = Array.isArray(res.body.error.details) ? res.body.error.details.map((d: { field: string }) => d.field) : [res.body.error.details.field];
      expect(fields, JSON.stringify(bad)).toContain(field);
      expect(res.body.error.message).toContain('3');
      if (code === 'invalid_reading') expect(res.body.error.details).toMatchObject({ field, index: 3 });
    }
    expect(await count()).toBe(1);
    // A value below the previous one is fine when the billing system gives the consumption (a new meter register).
    expect((await feed([{ ...good('04', '2'), consumption: '3.5' }])).status).toBe(200);
  });

  it('the API description still shows the shape of a fed reading (the service checks it)', async () => {
    const doc = (await svc.request('GET', '/openapi.json')).body;
    const body = doc.paths['/api/billing/readings'].post.requestBody.content['application/json'].schema;
    const resolve = (s: { $ref?: string }) => (s.$ref ? doc.components.schemas[s.$ref.split('/').pop()!] : s);
    const item = resolve(resolve(body).properties.readings.items);
    expect(item.required).toEqual(expect.arrayContaining(['meterSerial', 'readOn', 'type', 'value']));
    expect(item.properties.type.enum).toEqual(['actual', 'estimated', 'customer', 'remote']);
    expect(item.additionalProperties).toBe(false);
    expect(doc.paths['/api/billing/readings'].post.responses['422']).toBeDefined();
  });

  it('takes 1,000 readings in one request and refuses 1,001', async () => {
    const c = await createCustomer(svc);
    const serial = await meterWithReadings(c, []);
    const day = (i: number) => new Date(Date.UTC(2023, 0, 1 + i)).toISOString().slice(0, 10);
    const readings = Array.from({ length: 1001 }, (_, i) => ({ meterSerial: serial, readOn: day(i), type: 'remote', value: (i * 0.25).toFixed(3) }));
    const tooMany = await feed(readings);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.details[0].field).toBe('readings');
    const ok = await feed(readings.slice(0, 1000));
    expect(ok.body).toEqual({ accepted: 1000, unchanged: 0 });
    expect((await feed(readings.slice(0, 1000))).body).toEqual({ accepted: 0, unchanged: 1000 });
  });

  it('refuses an empty batch, and callers without the billing token', async () => {
    expect((await feed([])).status).toBe(400);
    const noToken = await svc.request('POST', '/api/billing/readings', { body: { readings: [] } });
    expect(noToken.status).toBe(401);
  });

  it('a meter that changes hands keeps its readings with the customer who had it then', async () => {
    const a = await createCustomer(svc);
    const b = await createCustomer(svc);
    const serial = await meterWithReadings(a, [
      ['2026-09-05', '100'],
      ['2026-10-05', '110'],
    ]);
    // B takes the property's meter over on 2026-11-10; a reading from B's period follows.
    svc.clock.set(new Date('2026-11-10T09:00:00Z'));
    try {
      expect((await putMeter(serial, b)).status).toBe(200);
      expect((await feed([{ meterSerial: serial, readOn: '2026-11-15', type: 'actual', value: '113' }])).status).toBe(200);
      // A late reading from A's time still goes to A.
      expect((await feed([{ meterSerial: serial, readOn: '2026-11-01', type: 'estimated', value: '112' }])).status).toBe(200);
    } finally {
      svc.clock.set(new Date('2026-11-20T10:00:00Z'));
    }
    const forB = await get(`/api/meters/${serial}/readings`, b.token);
    expect(forB.status).toBe(200);
    expect(forB.body.items).toEqual([{ date: '2026-11-15', type: 'actual', value: '113.000', consumption: '1.000', dailyAverage: '0.071' }]);
    expect((await get(`/api/meters/${serial}`, b.token)).body.lastReading).toMatchObject({ date: '2026-11-15' });
    expect((await get(`/api/meters/${serial}/consumption?by=month`, b.token)).body.items).toEqual([{ period: '2026-11', consumption: '1.000' }]);
    // A no longer holds the meter: it is not A's to see.
    expect((await get(`/api/meters/${serial}`, a.token)).status).toBe(404);
    const held = await svc.db
      .knex('meter_readings as r')
      .join('customers as c', 'c.id', 'r.customer_id')
      .join('meters as m', 'm.id', 'r.meter_id')
      .where('m.serial_number', serial)
      .orderBy('r.read_on')
      .select('r.read_on', 'c.customer_number');
    expect(held.map((r) => [r.read_on, r.customer_number])).toEqual([
      ['2026-09-05', a.customerNumber],
      ['2026-10-05', a.customerNumber],
      ['2026-11-01', a.customerNumber],
      ['2026-11-15', b.customerNumber],
    ]);
  });
});

describe('customer: meters', () => {
  it('lists the customer\'s meters, filtered by part of the serial and by status', async () => {
    const c = await createCustomer(svc);
    const other = await createCustomer(svc);
    const main = await meterWithReadings(c, [['2026-10-05', '10']], { installedOn: '2022-01-10' }, 'WMA');
    const removed = await meterWithReadings(c, [], { kind: 'sub', status: 'removed', removedOn: '2026-06-01', installedOn: '2023-05-01' }, 'WMB');
    await meterWithReadings(other, []);
    const all = await get('/api/meters', c.token);
    expect(all.status).toBe(200);
    expect(all.body.items.map((m: { number: string }) => m.number)).toEqual([removed, main]);
    const part = 'wma'; // part of the serial, in other letters
    expect((await get(`/api/meters?serial=${encodeURIComponent(part)}`, c.token)).body.items.map((m: { number: string }) => m.number)).toEqual([main]);
    expect((await get('/api/meters?status=removed', c.token)).body.items.map((m: { number: string }) => m.number)).toEqual([removed]);
    expect((await get('/api/meters?serial=%25', c.token)).body.items).toEqual([]);
    expect((await get('/api/meters?serial=', c.token)).body.items).toHaveLength(2);
    const bad = await get('/api/meters?status=lost', c.token);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].field).toBe('status');
    expect((await get('/api/meters?colour=red', c.token)).status).toBe(400);
  });

  it('shows one meter with legalisation days left, the warning within 90 days, the property and the last reading', async () => {
    const c = await createCustomer(svc);
    const serial = await meterWithReadings(
      c,
      [
        ['2026-09-05', '100'],
        ['2026-10-05', '109.3'],
      ],
      { legalisationValidUntil: '2027-02-18' },
    );
    const res = await get(`/api/meters/${serial}`, c.token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      number: serial,
      kind: 'main',
      status: 'active',
      owner: 'utility',
      registeredOn: '2021-03-01',
      installedOn: '2021-03-10',
      removedOn: null,
      legalisedOn: '2021-03-10',
      legalisationValidUntil: '2027-02-18',
      legalisationDaysLeft: 90,
      legalisationWarning: true,
      diameterMm: 20,
      tariff: { code: 'G1', name: 'Gospodarstwa domowe' },
      property: { id: c.propertyId, address: { street: 'ul. Zamkowa 1', postalCode: '32-600', city: 'Oświęcim' } },
      lastReading: { date: '2026-10-05', type: 'actual', value: '109.300', consumption: '9.300', dailyAverage: '0.310' },
    });
    await putMeter(serial, c, { legalisationValidUntil: '2027-02-19' });
    expect((await get(`/api/meters/${serial}`, c.token)).body).toMatchObject({ legalisationDaysLeft: 91, legalisationWarning: false });
    await putMeter(serial, c, { legalisedOn: '2016-01-01', legalisationValidUntil: '2026-11-01' });
    expect((await get(`/api/meters/${serial}`, c.token)).body).toMatchObject({ legalisationDaysLeft: -19, legalisationWarning: true });
    // Days are counted in Warsaw: at 23:30 UTC on 20 November it is already the 21st there.
    svc.clock.set(new Date('2026-11-20T23:30:00Z'));
    try {
      const token = await loginAs(svc, c.login, c.password); // a token of the moved clock
      expect((await get(`/api/meters/${serial}`, token)).body.legalisationDaysLeft).toBe(-20);
    } finally {
      svc.clock.set(new Date('2026-11-20T10:00:00Z'));
    }
    const noReadings = await meterWithReadings(c, []);
    expect((await get(`/api/meters/${noReadings}`, c.token)).body.lastReading).toBeNull();
  });

  it('readings: newest first with consumption and daily average, from/to, paged by cursor', async () => {
    const c = await createCustomer(svc);
    const serial = await meterWithReadings(c, [
      ['2026-06-01', '10'],
      ['2026-07-01', '16'],
      ['2026-08-01', '26'],
      ['2026-09-01', '29.1'],
    ]);
    const all = await get(`/api/meters/${serial}/readings`, c.token);
    expect(all.body).toEqual({
      items: [
        { date: '2026-09-01', type: 'actual', value: '29.100', consumption: '3.100', dailyAverage: '0.100' },
        { date: '2026-08-01', type: 'actual', value: '26.000', consumption: '10.000', dailyAverage: '0.323' },
        { date: '2026-07-01', type: 'actual', value: '16.000', consumption: '6.000', dailyAverage: '0.200' },
        { date: '2026-06-01', type: 'actual', value: '10.000', consumption: null, dailyAverage: null },
      ],
      nextCursor: null,
    });
    const ranged = await get(`/api/meters/${serial}/readings?from=2026-07-01&to=2026-08-15`, c.token);
    expect(ranged.body.items.map((r: { date: string }) => r.date)).toEqual(['2026-08-01', '2026-07-01']);
    const page1 = await get(`/api/meters/${serial}/readings?limit=3`, c.token);
    expect(page1.body.items).toHaveLength(3);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await get(`/api/meters/${serial}/readings?limit=3&cursor=${page1.body.nextCursor}`, c.token);
    expect(page2.body).toMatchObject({ items: [{ date: '2026-06-01' }], nextCursor: null });
    for (const [query, field] of [
      ['from=2026-02-30', 'from'],
      ['from=2026-09-01&to=2026-01-01', 'to'],
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['cursor=bm9wZQ', 'cursor'],
      // Forged cursors of the right shape: an impossible date, an id beyond bigint.
      [`cursor=${forgedCursor('2026-99-99', '1')}`, 'cursor'],
      [`cursor=${forgedCursor('2026-01-01', '9'.repeat(30))}`, 'cursor'],
    ]) {
      const res = await get(`/api/meters/${serial}/readings?${query}`, c.token);
      expect(res.status, query).toBe(400);
      expect(res.body.error.details[0].field, query).toBe(field);
    }
  });

  it('consumption per month and per year for a chart, newest first', async () => {
    const c = await createCustomer(svc);
    const serial = await meterWithReadings(c, [
      ['2025-11-05', '100'],
      ['2025-12-05', '108'],
      ['2026-01-05', '116.5'],
      ['2026-01-25', '118'],
      ['2026-02-05', '125'],
    ]);
    const monthly = await get(`/api/meters/${serial}/consumption?by=month`, c.token);
    expect(monthly.body).toEqual({
      by: 'month',
      unit: 'm3',
      items: [
        { period: '2026-02', consumption: '7.000' },
        { period: '2026-01', consumption: '10.000' },
        { period: '2025-12', consumption: '8.000' },
      ],
    });
    const yearly = await get(`/api/meters/${serial}/consumption?by=year`, c.token);
    expect(yearly.body.items).toEqual([
      { period: '2026', consumption: '17.000' },
      { period: '2025', consumption: '8.000' },
    ]);
    expect((await get(`/api/meters/${serial}/consumption`, c.token)).body.by).toBe('month');
    const bad = await get(`/api/meters/${serial}/consumption?by=week`, c.token);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].field).toBe('by');
  });

  it("another customer's meter answers 404 like a missing one on every route; no token 401; staff 403", async () => {
    const a = await createCustomer(svc);
    const b = await createCustomer(svc);
    const serial = await meterWithReadings(b, [['2026-11-15', '5']]);
    const paths = ['', '/readings', '/consumption?by=year'];
    for (const p of paths) {
      const theirs = await get(`/api/meters/${serial}${p}`, a.token);
      expect(theirs.status, p).toBe(404);
      expect(theirs.body.error.code).toBe('meter_not_found');
      expect((await get(`/api/meters/NO-SUCH${p}`, a.token)).status).toBe(404);
      expect((await get(`/api/meters/${serial}${p}`)).status, p).toBe(401);
      expect((await get(`/api/meters/${serial}${p}`, staffToken)).status, p).toBe(403);
    }
    expect((await get('/api/meters')).status).toBe(401);
    expect((await get('/api/meters', staffToken)).status).toBe(403);
    const posted = await report(serial, { value: '6' }, a.token);
    expect(posted.status).toBe(404);
    expect((await svc.request('POST', `/api/meters/${serial}/readings`, { body: { value: '6' } })).status).toBe(401);
    expect((await report(serial, { value: '6' }, staffToken)).status).toBe(403);
    expect((await get(`/api/meters/bad%20serial`, a.token)).status).toBe(400);
  });
});

describe('customer: reporting a reading', () => {
  it('records a reading of type customer with its consumption and daily average; the second of the day is 409', async () => {
    const c = await createCustomer(svc);
    const serial = await meterWithReadings(c, [['2026-11-10', '200']]);
    const res = await report(serial, { value: '203.5' }, c.token);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ date: '2026-11-20', type: 'customer', value: '203.500', consumption: '3.500', dailyAverage: '0.350' });
    const list = await get(`/api/meters/${serial}/readings`, c.token);
    expect(list.body.items[0]).toEqual(res.body);
    // Another report today, even for another date, is refused.
    const again = await report(serial, { value: '203.6', readOn: '2026-11-19' }, c.token);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('reading_already_reported');
    // The next day is fine.
    svc.clock.set(new Date('2026-11-21T10:00:00Z'));
    try {
      const token = await loginAs(svc, c.login, c.password); // a token of the moved clock
      expect((await report(serial, { value: '204' }, token)).status).toBe(201);
    } finally {
      svc.clock.set(new Date('2026-11-20T10:00:00Z'));
    }
  });

  it('one report a day per meter holds under concurrent posts (the database decides)', async () => {
    const c = await createCustomer(svc);
    const serial = await meterWithReadings(c, [['2026-11-15', '10']]);
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => report(serial, { value: (11 + i / 10).toFixed(1) }, c.token)));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    const stored = await svc.db.knex('meter_readings as r').join('meters as m', 'm.id', 'r.meter_id').where({ 'm.serial_number': serial, 'r.type': 'customer' });
    expect(stored).toHaveLength(1);
  });

  it('the database itself refuses a second customer report of a meter on one day, whatever its date', async () => {
    const c = await createCustomer(svc);
    const serial = await meterWithReadings(c, [['2026-11-15', '10']]);
    expect((await report(serial, { value: '11', readOn: '2026-11-19' }, c.token)).status).toBe(201);
    const first = await svc.db.knex('meter_readings as r').join('meters as m', 'm.id', 'r.meter_id').where({ 'm.serial_number': serial, 'r.source': 'customer' }).first('r.*');
    // Past the service's own check: straight into the table, as a racing request would.
    const second = { ...first, id: undefined, read_on: '2026-11-20', value: '12' };
    delete second.id;
    await expect(svc.db.knex('meter_readings').insert(second)).rejects.toMatchObject({ code: '23505', constraint: 'meter_readings_one_report_a_day' });
  });

  it('refuses each rule with its own code: below the last, over 50 m³ a day, in the future, over 7 days back, removed meter', async () => {
    const c = await createCustomer(svc);
    const serial = await meterWithReadings(c, [
      ['2026-11-10', '100'],
      ['2026-11-16', '104'],
    ]);
    const cases: [Record<string, unknown>, string, string][] = [
      [{ value: '103.999' }, 'reading_below_last', 'value'],
      // 4 days after the last reading: at most 104 + 200.
      [{ value: '304.001' }, 'reading_too_high', 'value'],
      [{ value: '105', readOn: '2026-11-21' }, 'reading_date_in_future', 'readOn'],
      [{ value: '105', readOn: '2026-11-12' }, 'reading_date_too_old', 'readOn'],
    ];
    for (const [body, code, field] of cases) {
      const res = await report(serial, body, c.token);
      expect(res.status, code).toBe(422);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.details.field).toBe(field);
    }
    // The limits themselves are accepted: exactly 50 m³ a day, exactly 7 days back.
    const edge = await meterWithReadings(c, [['2026-11-13', '10']]);
    expect((await report(edge, { value: '10', readOn: '2026-11-13' }, c.token)).status).toBe(201);
    const edge2 = await meterWithReadings(c, [['2026-11-13', '10']]);
    expect((await report(edge2, { value: '360', readOn: '2026-11-20' }, c.token)).status).toBe(201);
    const removed = await meterWithReadings(c, [['2026-10-01', '1']], { status: 'removed', removedOn: '2026-11-01' });
    const res = await report(removed, { value: '2' }, c.token);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('meter_removed');
    expect(await svc.db.knex('meter_readings').where({ source: 'customer', reported_on: '2026-11-20' }).whereIn('meter_id', svc.db.knex('meters').where({ serial_number: serial }).select('id'))).toHaveLength(0);
  });

  it('refuses malformed bodies with 400 naming the field', async () => {
    const c = await createCustomer(svc);
    const serial = await meterWithReadings(c, []);
    for (const [body, field] of [
      [{ value: 12 }, 'value'],
      [{ value: '12.3456' }, 'value'],
      [{ value: 'dwanaście' }, 'value'],
      [{}, 'value'],
      [{ value: '12', readOn: '20.11.2026' }, 'readOn'],
      [{ value: '12', note: 'x' }, '(body)'],
    ] as [Record<string, unknown>, string][]) {
      const res = await report(serial, body, c.token);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    }
  });

  it('the billing system collects customer reports since an instant, oldest first, paged', async () => {
    const c = await createCustomer(svc);
    // Later than every other report of this file.
    const since = '2026-11-22T09:00:00+01:00';
    svc.clock.set(new Date('2026-11-22T09:00:00Z'));
    const token = await loginAs(svc, c.login, c.password); // a token of the moved clock
    const serials = [await meterWithReadings(c, [['2026-11-15', '1']]), await meterWithReadings(c, [['2026-11-15', '1']])];
    try {
      for (const s of serials) {
        expect((await report(s, { value: '2' }, token)).status).toBe(201);
        svc.clock.advance(1000);
      }
      const first = await svc.request('GET', `/api/billing/customer-readings?since=${encodeURIComponent(since)}&limit=1`, { token: BILLING_TOKEN });
      expect(first.status).toBe(200);
      expect(first.body.items).toEqual([
        {
          meterSerial: serials[0],
          customerNumber: c.customerNumber,
          propertyId: c.propertyId,
          readOn: '2026-11-22',
          type: 'customer',
          value: '2.000',
          consumption: '1.000',
          reportedAt: expect.any(String),
        },
      ]);
      const second = await svc.request('GET', `/api/billing/customer-readings?since=${encodeURIComponent(since)}&limit=1&cursor=${first.body.nextCursor}`, {
        token: BILLING_TOKEN,
      });
      expect(second.body).toMatchObject({ items: [{ meterSerial: serials[1] }], nextCursor: null });
      const all = await svc.request('GET', `/api/billing/customer-readings?since=${encodeURIComponent(since)}`, { token: BILLING_TOKEN });
      expect(all.body.items.map((r: { meterSerial: string }) => r.meterSerial)).toEqual(serials);
      const later = await svc.request('GET', `/api/billing/customer-readings?since=2026-11-23T00:00:00Z`, { token: BILLING_TOKEN });
      expect(later.body).toEqual({ items: [], nextCursor: null });
    } finally {
      svc.clock.set(new Date('2026-11-20T10:00:00Z'));
    }
    for (const q of [
      '',
      'since=yesterday',
      `since=${encodeURIComponent(since)}&cursor=%21`,
      `since=${encodeURIComponent(since)}&cursor=${forgedCursor('2026-11-20T10:00:00.000Z', '9'.repeat(30))}`,
      `since=${encodeURIComponent(since)}&cursor=${forgedCursor('+275760-09-13T00:00:00.000Z', '1')}`,
      `since=${encodeURIComponent(since)}&cursor=${forgedCursor('-271821-04-20T00:00:00.000Z', '1')}`,
    ]) {
      const res = await svc.request('GET', `/api/billing/customer-readings?${q}`, { token: BILLING_TOKEN });
      expect(res.status, q).toBe(400);
    }
    expect((await svc.request('GET', `/api/billing/customer-readings?since=${encodeURIComponent(since)}`)).status).toBe(401);
    expect((await svc.request('GET', `/api/billing/customer-readings?since=${encodeURIComponent(since)}`, { token: c.token })).status).toBe(401);
  });
});

describe('meters for notices and pages (the service)', () => {
  it('finds active meters whose legalisation ends between two dates', async () => {
    const c = await createCustomer(svc);
    const ending = await meterWithReadings(c, [], { legalisationValidUntil: '2031-12-20' });
    await meterWithReadings(c, [], { legalisationValidUntil: '2031-12-22' });
    await meterWithReadings(c, [], { legalisationValidUntil: '2031-12-20', status: 'removed', removedOn: '2026-01-01' });
    const found = await svc.deps.meters.metersWithLegalisationEndingBetween('2031-12-19', '2031-12-21');
    expect(found).toEqual([
      expect.objectContaining({ serialNumber: ending, customerNumber: c.customerNumber, propertyId: c.propertyId, legalisationValidUntil: '2031-12-20' }),
    ]);
  });
});

describe('demo meters', () => {
  it('give the demo customer three meters on two properties, one with legalisation ending within 90 days, two years of readings', async () => {
    const c = await createCustomer(svc);
    const second = `P2-${c.customerNumber}`;
    const put = await svc.request('PUT', `/api/billing/customers/${c.customerNumber}`, {
      token: BILLING_TOKEN,
      body: {
        name: 'Jan Kowalski',
        address: { street: 'ul. Zamkowa 12', postalCode: '32-600', city: 'Oświęcim' },
        properties: [
          { id: c.propertyId, address: { street: 'ul. Zamkowa 12', postalCode: '32-600', city: 'Oświęcim' } },
          { id: second, address: { street: 'ul. Słoneczna 4/7', postalCode: '32-600', city: 'Oświęcim' } },
        ],
      },
    });
    expect(put.status).toBe(200);
    const serials = await seedDemoMeters(svc.deps.meters, svc.clock, { customerNumber: c.customerNumber, mainPropertyId: c.propertyId, secondPropertyId: second });
    const list = (await get('/api/meters', c.token)).body.items as { number: string; kind: string; property: { id: string }; legalisationWarning: boolean; legalisationDaysLeft: number }[];
    expect(list.map((m) => m.number).sort()).toEqual([...serials].sort());
    expect(list.map((m) => `${m.property.id}:${m.kind}`).sort()).toEqual([`${c.propertyId}:main`, `${c.propertyId}:sub`, `${second}:main`].sort());
    expect(list.filter((m) => m.legalisationWarning).map((m) => m.legalisationDaysLeft)).toEqual([45]);
    for (const serial of serials) {
      const readings = await get(`/api/meters/${serial}/readings?from=2024-11-01`, c.token);
      expect(readings.body.items).toHaveLength(25);
      const months = await get(`/api/meters/${serial}/consumption?by=month`, c.token);
      expect(months.body.items).toHaveLength(24);
    }
  });
});

describe('API description', () => {
  it('describes every meters route in /openapi.json', async () => {
    const res = await get('/openapi.json');
    expect(res.status).toBe(200);
    for (const path of [
      '/api/billing/meters/{serialNumber}',
      '/api/billing/readings',
      '/api/billing/customer-readings',
      '/api/meters',
      '/api/meters/{serial}',
      '/api/meters/{serial}/readings',
      '/api/meters/{serial}/consumption',
    ]) {
      expect(Object.keys(res.body.paths), path).toContain(path);
    }
    expect(Object.keys(res.body.paths['/api/meters/{serial}/readings'])).toEqual(expect.arrayContaining(['get', 'post']));
  });

  it('groups the customer\'s meters by property for /api/me', async () => {
    const c = await createCustomer(svc);
    const serial = await meterWithReadings(c, []);
    const customerId = String((await svc.db.knex('customers').where({ customer_number: c.customerNumber }).first()).id);
    const grouped = await svc.deps.meters.metersByProperty(customerId);
    expect([...grouped.keys()]).toEqual([c.propertyId]);
    expect(grouped.get(c.propertyId)!.map((m) => m.serialNumber)).toEqual([serial]);
  });
});
