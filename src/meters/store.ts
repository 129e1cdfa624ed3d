import type { Queryable } from '../db/createDb.js';
import type { MeterBody, ReadingType } from './schema.js';

export interface Address {
  street: string;
  postalCode: string;
  city: string;
}

export interface Meter {
  id: string;
  serialNumber: string;
  customerId: string;
  customerNumber: string;
  propertyId: string;
  propertyNumber: string;
  propertyAddress: Address;
  kind: 'main' | 'sub';
  status: 'active' | 'removed';
  owner: 'utility' | 'customer';
  registeredOn: string;
  installedOn: string;
  removedOn: string | null;
  legalisedOn: string;
  legalisationValidUntil: string;
  diameterMm: number | null;
  tariff: { code: string; name: string };
  contentHash: string;
}

export interface Reading {
  id: string;
  meterId: string;
  customerId: string;
  propertyId: string;
  readOn: string;
  type: ReadingType;
  value: string;
  consumption: string | null;
  consumptionGiven: boolean;
}

/** A reading as customers see it: with the daily average since the meter's previous reading. */
export interface ReadingWithAverage {
  id: string;
  readOn: string;
  type: ReadingType;
  value: string;
  consumption: string | null;
  dailyAverage: string | null;
}

export interface Holder {
  meterId: string;
  customerId: string;
  propertyId: string;
  validFrom: string | null;
}

export interface CustomerReport {
  id: string;
  meterSerial: string;
  customerNumber: string;
  propertyNumber: string;
  readOn: string;
  value: string;
  consumption: string | null;
  createdAt: Date;
}

export interface NewReading {
  meterId: string;
  customerId: string;
  propertyId: string;
  readOn: string;
  type: ReadingType;
  value: string;
  consumption: string | null;
  consumptionGiven: boolean;
  source: 'billing' | 'customer';
  reportedOn: string | null;
  createdAt: Date;
}

const str = (v: string | number | null | undefined): string | null => (v === null || v === undefined ? null : String(v));

type Id = string | number;
type Numeric = string | number;

/** A `meters` row joined with its customer's and property's numbers and the property's address. */
interface MeterRow {
  id: Id;
  serial_number: string;
  customer_id: Id;
  property_id: Id;
  kind: Meter['kind'];
  status: Meter['status'];
  owner: Meter['owner'];
  registered_on: string;
  installed_on: string;
  removed_on: string | null;
  legalised_on: string;
  legalisation_valid_until: string;
  diameter_mm: number | null;
  tariff_code: string;
  tariff_name: string;
  content_hash: string;
  customer_number: string;
  property_number: string;
  p_street: string;
  p_postal_code: string;
  p_city: string;
}

interface ReadingRow {
  id: Id;
  meter_id: Id;
  customer_id: Id;
  property_id: Id;
  read_on: string;
  type: ReadingType;
  value: Numeric;
  consumption: Numeric | null;
  consumption_given: boolean;
}

interface HolderRow {
  meter_id: Id;
  customer_id: Id;
  property_id: Id;
  valid_from: string | null;
}

interface CustomerReportRow {
  id: Id;
  read_on: string;
  value: Numeric;
  consumption: Numeric | null;
  created_at: Date | string;
  serial_number: string;
  customer_number: string;
  property_number: string;
}

const mapMeter = (r: MeterRow): Meter => ({
  id: String(r.id),
  serialNumber: r.serial_number,
  customerId: String(r.customer_id),
  customerNumber: r.customer_number,
  propertyId: String(r.property_id),
  propertyNumber: r.property_number,
  propertyAddress: { street: r.p_street, postalCode: r.p_postal_code, city: r.p_city },
  kind: r.kind,
  status: r.status,
  owner: r.owner,
  registeredOn: r.registered_on,
  installedOn: r.installed_on,
  removedOn: r.removed_on ?? null,
  legalisedOn: r.legalised_on,
  legalisationValidUntil: r.legalisation_valid_until,
  diameterMm: r.diameter_mm === null ? null : Number(r.diameter_mm),
  tariff: { code: r.tariff_code, name: r.tariff_name },
  contentHash: r.content_hash,
});

const mapReading = (r: ReadingRow): Reading => ({
  id: String(r.id),
  meterId: String(r.meter_id),
  customerId: String(r.customer_id),
  propertyId: String(r.property_id),
  readOn: r.read_on,
  type: r.type,
  value: String(r.value),
  consumption: str(r.consumption),
  consumptionGiven: Boolean(r.consumption_given),
});

const mapAveraged = (r: ReadingRow & { daily_average: Numeric | null }): ReadingWithAverage => ({
  id: String(r.id),
  readOn: r.read_on,
  type: r.type,
  value: String(r.value),
  consumption: str(r.consumption),
  dailyAverage: str(r.daily_average),
});

const METER_COLUMNS = [
  'm.*',
  'c.customer_number',
  'p.property_number',
  'p.street as p_street',
  'p.postal_code as p_postal_code',
  'p.city as p_city',
];

export function meterValues(body: MeterBody) {
  return {
    kind: body.kind,
    status: body.status,
    owner: body.owner,
    registered_on: body.registeredOn,
    installed_on: body.installedOn,
    removed_on: body.removedOn ?? null,
    legalised_on: body.legalisedOn,
    legalisation_valid_until: body.legalisationValidUntil,
    diameter_mm: body.diameterMm ?? null,
    tariff_code: body.tariff.code,
    tariff_name: body.tariff.name,
  };
}

/**
 * SQL of the meters module's tables. Lists join `customers` and `properties` for the numbers and
 * the property's address (a read model declared in docs/architecture.md).
 */
export class MeterStore {
  constructor(private readonly db: Queryable) {}

  private meters() {
    return this.db('meters as m')
      .join('customers as c', 'c.id', 'm.customer_id')
      .join('properties as p', 'p.id', 'm.property_id');
  }

  async meterBySerial(serial: string, options: { forUpdate?: boolean; customerId?: string } = {}): Promise<Meter | undefined> {
    const q = this.meters().where('m.serial_number', serial).first(METER_COLUMNS);
    if (options.customerId) q.where('m.customer_id', options.customerId);
    if (options.forUpdate) q.forUpdate('m');
    const row = (await q) as MeterRow | undefined;
    return row ? mapMeter(row) : undefined;
  }

  /** Locks the meters in id order, so concurrent feeds and reports of one meter queue up without deadlocks. */
  async lockMetersBySerials(serials: string[]): Promise<Meter[]> {
    if (serials.length === 0) return [];
    const rows = await this.meters().whereIn('m.serial_number', serials).orderBy('m.id').forUpdate('m').select<MeterRow[]>(METER_COLUMNS);
    return rows.map(mapMeter);
  }

  async insertMeter(input: { serialNumber: string; customerId: string; propertyId: string; body: MeterBody; contentHash: string; at: Date }): Promise<string> {
    const [row] = await this.db('meters')
      .insert({
        serial_number: input.serialNumber,
        customer_id: input.customerId,
        property_id: input.propertyId,
        ...meterValues(input.body),
        content_hash: input.contentHash,
        created_at: input.at,
        updated_at: input.at,
      })
      .returning<{ id: Id }[]>('id');
    if (!row) throw new Error(`meter ${input.serialNumber} not inserted`);
    return String(row.id);
  }

  async updateMeter(id: string, input: { customerId: string; propertyId: string; body: MeterBody; contentHash: string; at: Date }): Promise<void> {
    await this.db('meters')
      .where({ id })
      .update({
        customer_id: input.customerId,
        property_id: input.propertyId,
        ...meterValues(input.body),
        content_hash: input.contentHash,
        updated_at: input.at,
      });
  }

  async insertHistory(input: { meterId: string; customerId: string; propertyId: string; body: MeterBody; at: Date }): Promise<void> {
    await this.db('meter_history').insert({
      meter_id: input.meterId,
      customer_id: input.customerId,
      property_id: input.propertyId,
      body: JSON.stringify(input.body),
      changed_at: input.at,
    });
  }

  /** A new holder from a day on; a second change on the same day replaces that day's holder. */
  async addHolder(input: { meterId: string; customerId: string; propertyId: string; validFrom: string | null }): Promise<void> {
    if (input.validFrom !== null) {
      await this.db('meter_holders').where({ meter_id: input.meterId, valid_from: input.validFrom }).delete();
    }
    await this.db('meter_holders').insert({
      meter_id: input.meterId,
      customer_id: input.customerId,
      property_id: input.propertyId,
      valid_from: input.validFrom,
    });
  }

  /** Each meter's holders, the first (valid since always) first, then by day. */
  async holdersOf(meterIds: string[]): Promise<Holder[]> {
    if (meterIds.length === 0) return [];
    const rows: HolderRow[] = await this.db<HolderRow>('meter_holders')
      .whereIn('meter_id', meterIds)
      .orderBy([{ column: 'meter_id' }, { column: 'valid_from', order: 'asc', nulls: 'first' }, { column: 'id' }]);
    return rows.map((r) => ({
      meterId: String(r.meter_id),
      customerId: String(r.customer_id),
      propertyId: String(r.property_id),
      validFrom: r.valid_from ?? null,
    }));
  }

  /**
   * The part of each meter's chain a change from `from` on can touch: its readings from that day,
   * and the one reading before it (the anchor whose value the first of them is compared with).
   * In the order consumption is computed: by date, then as they came.
   */
  async readingsFrom(starts: { meterId: string; from: string }[]): Promise<(Reading & { anchor: boolean })[]> {
    if (starts.length === 0) return [];
    const ids = starts.map((s) => s.meterId);
    const days = starts.map((s) => s.from);
    const { rows } = await this.db.raw<{ rows: (ReadingRow & { anchor: boolean })[] }>(
      `SELECT r.*, false AS anchor
         FROM unnest(?::bigint[], ?::date[]) AS v(meter_id, from_day)
         JOIN meter_readings r ON r.meter_id = v.meter_id AND r.read_on >= v.from_day
       UNION ALL
       SELECT p.*, true AS anchor
         FROM unnest(?::bigint[], ?::date[]) AS v(meter_id, from_day)
         CROSS JOIN LATERAL (SELECT * FROM meter_readings r WHERE r.meter_id = v.meter_id AND r.read_on < v.from_day
                             ORDER BY r.read_on DESC, r.id DESC LIMIT 1) p
       ORDER BY meter_id, read_on, id`,
      [ids, days, ids, days],
    );
    return rows.map((r) => ({ ...mapReading(r), anchor: Boolean(r.anchor) }));
  }

  /** Whether the meter already has a customer's report made on `day` or dated `readOn`. */
  async hasCustomerReport(meterId: string, day: string, readOn: string): Promise<boolean> {
    const row: unknown = await this.db('meter_readings')
      .where({ meter_id: meterId })
      .where((q) => {
        void q.where({ source: 'customer', reported_on: day }).orWhere({ read_on: readOn, type: 'customer' });
      })
      .first('id');
    return Boolean(row);
  }

  async insertReadings(readings: NewReading[]): Promise<void> {
    if (readings.length === 0) return;
    await this.db('meter_readings').insert(
      readings.map((r) => ({
        meter_id: r.meterId,
        customer_id: r.customerId,
        property_id: r.propertyId,
        read_on: r.readOn,
        type: r.type,
        value: r.value,
        consumption: r.consumption,
        consumption_given: r.consumptionGiven,
        source: r.source,
        reported_on: r.reportedOn,
        created_at: r.createdAt,
      })),
    );
  }

  async updateReading(id: string, change: { value: string; consumption: string | null; consumptionGiven: boolean }): Promise<void> {
    await this.db('meter_readings')
      .where({ id })
      .update({ value: change.value, consumption: change.consumption, consumption_given: change.consumptionGiven });
  }

  async metersOfCustomer(customerId: string, filter: { serial?: string | undefined; status?: string | undefined } = {}): Promise<Meter[]> {
    const q = this.meters()
      .where('m.customer_id', customerId)
      .orderBy([{ column: 'm.installed_on', order: 'desc' }, { column: 'm.serial_number' }])
      .select(METER_COLUMNS);
    if (filter.serial) {
      // Part of the serial number, case-insensitive; LIKE's own wildcards are taken literally.
      q.whereRaw(`m.serial_number ILIKE ? ESCAPE '\\'`, [`%${filter.serial.replace(/[\\%_]/g, (c) => `\\${c}`)}%`]);
    }
    if (filter.status) q.where('m.status', filter.status);
    return ((await q) as MeterRow[]).map(mapMeter);
  }

  /** The newest reading of each meter that the customer may see (from their own period). */
  async lastReadings(customerId: string, meterIds: string[]): Promise<Map<string, ReadingWithAverage>> {
    const out = new Map<string, ReadingWithAverage>();
    if (meterIds.length === 0) return out;
    const { rows } = await this.db.raw<{ rows: (ReadingRow & { daily_average: Numeric | null })[] }>(
      `SELECT DISTINCT ON (meter_id) * FROM (${AVERAGED_SQL_WHERE_METERS(meterIds.length)}) r
        WHERE customer_id = ? ORDER BY meter_id, read_on DESC, id DESC`,
      [...meterIds, customerId],
    );
    for (const r of rows) out.set(String(r.meter_id), mapAveraged(r));
    return out;
  }

  /** The customer's last reading of the meter with this serial number (by serial: read beside the meter itself). */
  async lastReadingOfSerial(customerId: string, serial: string): Promise<ReadingWithAverage | null> {
    const { rows } = await this.db.raw<{ rows: (ReadingRow & { daily_average: Numeric | null })[] }>(
      `SELECT * FROM (${AVERAGED_SQL_WHERE_SERIAL}) r WHERE customer_id = ? ORDER BY read_on DESC, id DESC LIMIT 1`,
      [serial, customerId],
    );
    return rows[0] ? mapAveraged(rows[0]) : null;
  }

  /** The customer's readings of a meter, newest first, with the daily average over the whole meter's history. */
  async readingsPage(input: {
    meterId: string;
    customerId: string;
    from?: string | undefined;
    to?: string | undefined;
    after?: { readOn: string; id: string } | undefined;
    limit: number;
  }): Promise<ReadingWithAverage[]> {
    const where: string[] = ['customer_id = ?'];
    const bindings: (string | number)[] = [input.meterId, input.customerId];
    if (input.from) {
      where.push('read_on >= ?');
      bindings.push(input.from);
    }
    if (input.to) {
      where.push('read_on <= ?');
      bindings.push(input.to);
    }
    if (input.after) {
      where.push('(read_on, id) < (?::date, ?::bigint)');
      bindings.push(input.after.readOn, input.after.id);
    }
    bindings.push(input.limit);
    const { rows } = await this.db.raw<{ rows: (ReadingRow & { daily_average: Numeric | null })[] }>(
      `SELECT * FROM (${AVERAGED_SQL_WHERE_METERS(1)}) r WHERE ${where.join(' AND ')} ORDER BY read_on DESC, id DESC LIMIT ?`,
      bindings,
    );
    return rows.map(mapAveraged);
  }

  /** Consumption of the customer's readings of a meter, summed per month or year, newest first. */
  async consumptionTotals(meterId: string, customerId: string, by: 'month' | 'year'): Promise<{ period: string; consumption: string }[]> {
    const format = by === 'month' ? 'YYYY-MM' : 'YYYY';
    const { rows } = await this.db.raw<{ rows: { period: string; consumption: Numeric }[] }>(
      `SELECT to_char(read_on, ?) AS period, sum(consumption) AS consumption
         FROM meter_readings
        WHERE meter_id = ? AND customer_id = ? AND consumption IS NOT NULL
        GROUP BY 1 ORDER BY 1 DESC`,
      [format, meterId, customerId],
    );
    return rows.map((r) => ({ period: r.period, consumption: String(r.consumption) }));
  }

  /** Readings customers reported, oldest first, for the billing system to collect. */
  async customerReports(input: { since: Date; after?: { createdAt: Date; id: string } | undefined; limit: number }): Promise<CustomerReport[]> {
    const q = this.db('meter_readings as r')
      .join('meters as m', 'm.id', 'r.meter_id')
      .join('customers as c', 'c.id', 'r.customer_id')
      .join('properties as p', 'p.id', 'r.property_id')
      .where('r.source', 'customer')
      .where('r.created_at', '>', input.since)
      .orderBy([{ column: 'r.created_at' }, { column: 'r.id' }])
      .limit(input.limit)
      .select('r.id', 'r.read_on', 'r.value', 'r.consumption', 'r.created_at', 'm.serial_number', 'c.customer_number', 'p.property_number');
    if (input.after) q.whereRaw('(r.created_at, r.id) > (?::timestamptz, ?::bigint)', [input.after.createdAt, input.after.id]);
    const rows = (await q) as CustomerReportRow[];
    return rows.map((r) => ({
      id: String(r.id),
      meterSerial: r.serial_number,
      customerNumber: r.customer_number,
      propertyNumber: r.property_number,
      readOn: r.read_on,
      value: String(r.value),
      consumption: str(r.consumption),
      createdAt: r.created_at instanceof Date ? r.created_at : new Date(r.created_at),
    }));
  }

  /** Active meters whose legalisation ends within [from, to] (dates), with their current holder. */
  async legalisationEndingBetween(from: string, to: string): Promise<Meter[]> {
    const rows = await this.meters()
      .where('m.status', 'active')
      .whereBetween('m.legalisation_valid_until', [from, to])
      .orderBy([{ column: 'm.legalisation_valid_until' }, { column: 'm.serial_number' }])
      .select<MeterRow[]>(METER_COLUMNS);
    return rows.map(mapMeter);
  }
}

/**
 * Readings of `n` meters with the days since the meter's previous reading (whoever held it then),
 * so the daily average of the first reading of a new holder still spans the real period.
 */
function AVERAGED_SQL_WHERE_METERS(n: number): string {
  return averagedSql(`IN (${Array.from({ length: n }, () => '?').join(', ')})`);
}

/** The same for the meter of one serial number (one `?`). */
const AVERAGED_SQL_WHERE_SERIAL = averagedSql('= (SELECT id FROM meters WHERE serial_number = ?)');

function averagedSql(meterIdCondition: string): string {
  return `SELECT r.*,
            CASE WHEN r.consumption IS NOT NULL AND r.read_on > r.prev_on
                 THEN round(r.consumption / (r.read_on - r.prev_on), 3) END AS daily_average
       FROM (SELECT mr.*, lag(mr.read_on) OVER (PARTITION BY mr.meter_id ORDER BY mr.read_on, mr.id) AS prev_on
               FROM meter_readings mr WHERE mr.meter_id ${meterIdCondition}) r`;
}
