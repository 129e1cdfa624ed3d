import { createHash } from 'node:crypto';
import { Decimal } from 'decimal.js';
import type { Knex } from 'knex';
import { addDays, daysBetween, warsawDate, type Clock } from '../clock.js';
import { isUniqueViolation } from '../db/errors.js';
import type { CustomersService } from '../customers/index.js';
import { commonErrors, type AppError } from '../errors.js';
import { meterErrors } from './errors.js';
import { feedReading, type FeedReading, type MeterBody, type ReadingType } from './schema.js';
import { MeterStore, type Address, type Meter, type NewReading, type Reading, type ReadingWithAverage } from './store.js';

/** Legalisation within this many days of its end (or past it) is shown as a warning. */
export const LEGALISATION_WARNING_DAYS = 90;
/** A customer's report may not be more than this many m³ a day above the previous reading. */
export const MAX_DAILY_CONSUMPTION = new Decimal(50);
/** A customer may report a reading dated at most this many days back. */
export const MAX_REPORT_AGE_DAYS = 7;

/** What the meters module asks of the customers module (its CustomersService answers). */
export type CustomerReferences = Pick<CustomersService, 'requireCustomer' | 'requireProperty'>;

/** A meter as its holder sees it (web pages and /api/me use this too). */
export interface MeterView {
  serialNumber: string;
  kind: 'main' | 'sub';
  status: 'active' | 'removed';
  owner: 'utility' | 'customer';
  registeredOn: string;
  installedOn: string;
  removedOn: string | null;
  legalisedOn: string;
  legalisationValidUntil: string;
  /** Days from today (Europe/Warsaw) to the end of legalisation; negative once past. */
  legalisationDaysLeft: number;
  legalisationWarning: boolean;
  diameterMm: number | null;
  tariff: { code: string; name: string };
  /** The property by the billing system's id. */
  property: { id: string; address: Address };
  lastReading: ReadingView | null;
}

export interface ReadingView {
  readOn: string;
  type: ReadingType;
  /** m³, three decimals. */
  value: string;
  consumption: string | null;
  /** m³ a day since the meter's previous reading. */
  dailyAverage: string | null;
}

/** A meter as the billing system fed it. */
export interface FedMeter {
  serialNumber: string;
  customerNumber: string;
  propertyId: string;
  body: MeterBody;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface CustomerReportView {
  meterSerial: string;
  customerNumber: string;
  propertyId: string;
  readOn: string;
  value: string;
  consumption: string | null;
  reportedAt: Date;
}

export interface LegalisationEnding {
  serialNumber: string;
  customerId: string;
  customerNumber: string;
  propertyId: string;
  propertyAddress: Address;
  kind: 'main' | 'sub';
  legalisationValidUntil: string;
}

const fixed3 = (d: Decimal) => d.toFixed(3);

function encodeCursor(parts: string[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

/** A row id a bigint can hold (a forged cursor must not reach the database as an overflow). */
const ROW_ID = /^\d{1,18}$/;

/** `YYYY-MM-DD` naming a day that exists. */
function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const day = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(day.getTime()) && day.toISOString().startsWith(value);
}

function decodeCursor(cursor: string, count: number): string[] {
  try {
    const parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(parts) && parts.length === count && parts.every((p) => typeof p === 'string' && p.length < 100)) return parts as string[];
  } catch {
    // falls through to the 400 below
  }
  throw commonErrors.create('validation_failed', 'Invalid query: cursor is not a cursor from a previous page.', [
    { field: 'cursor', message: 'must be a cursor from a previous page' },
  ]);
}

function canonicalHash(value: unknown): string {
  const canonical = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
    if (v && typeof v === 'object') {
      return `{${Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`)
        .join(',')}}`;
    }
    return JSON.stringify(v);
  };
  return createHash('sha256').update(canonical(value)).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// The chain of a meter's readings: consumption is the difference to the previous reading (by date,
// then in the order they came) unless the billing system gave it.

interface ChainItem {
  id: string | null;
  readOn: string;
  type: ReadingType;
  value: Decimal;
  consumption: Decimal | null;
  given: boolean;
  /** Index in the request of the reading that created or changed this item. */
  incoming?: number;
  /** The reading before the loaded part of the chain: compared with, never recomputed. */
  anchor?: boolean;
  stored?: { value: string; consumption: string | null; given: boolean };
}

interface IncomingReading {
  index: number;
  readOn: string;
  type: ReadingType;
  value: string;
  consumption?: string | undefined;
}

type ChainProblem = { kind: 'below_previous' | 'out_of_order'; index: number; readOn: string; against: string };

interface ChainPlan {
  inserts: ChainItem[];
  updates: ChainItem[];
  accepted: number;
  unchanged: number;
  problem?: ChainProblem;
}

function planChain(existing: (Reading & { anchor?: boolean })[], incoming: IncomingReading[], options: { alwaysInsert?: boolean } = {}): ChainPlan {
  const chain: ChainItem[] = existing.map((r) => ({
    id: r.id,
    readOn: r.readOn,
    type: r.type,
    value: new Decimal(r.value),
    consumption: r.consumption === null ? null : new Decimal(r.consumption),
    given: r.consumptionGiven,
    stored: { value: r.value, consumption: r.consumption, given: r.consumptionGiven },
    ...(r.anchor ? { anchor: true } : {}),
  }));
  let accepted = 0;
  let unchanged = 0;
  for (const r of incoming) {
    const value = new Decimal(r.value);
    const given = r.consumption !== undefined;
    const found = options.alwaysInsert ? undefined : chain.find((c) => c.readOn === r.readOn && c.type === r.type);
    if (found) {
      const same = found.value.equals(value) && found.given === given && (!given || found.consumption?.equals(r.consumption!) === true);
      if (same) {
        unchanged += 1;
        continue;
      }
      found.value = value;
      found.given = given;
      found.consumption = given ? new Decimal(r.consumption!) : null;
      found.incoming = r.index;
      accepted += 1;
      continue;
    }
    // After every reading of the same day or earlier: that is where its new id puts it.
    let at = chain.length;
    while (at > 0 && chain[at - 1]!.readOn > r.readOn) at -= 1;
    chain.splice(at, 0, {
      id: null,
      readOn: r.readOn,
      type: r.type,
      value,
      consumption: given ? new Decimal(r.consumption!) : null,
      given,
      incoming: r.index,
    });
    accepted += 1;
  }

  const inserts: ChainItem[] = [];
  const updates: ChainItem[] = [];
  let previous: ChainItem | undefined;
  let problem: ChainProblem | undefined;
  for (const item of chain) {
    if (!item.given && !item.anchor) {
      const consumption = previous ? item.value.minus(previous.value) : null;
      if (consumption && consumption.isNegative() && !problem && previous) {
        // The reading that broke the order is the new one: this one, or the one before it.
        if (item.incoming !== undefined) problem = { kind: 'below_previous', index: item.incoming, readOn: previous.readOn, against: fixed3(previous.value) };
        else if (previous.incoming !== undefined) problem = { kind: 'out_of_order', index: previous.incoming, readOn: item.readOn, against: fixed3(item.value) };
      }
      item.consumption = consumption;
    }
    if (item.id === null) inserts.push(item);
    else {
      const s = item.stored!;
      const consumption = item.consumption === null ? null : fixed3(item.consumption);
      const storedConsumption = s.consumption === null ? null : fixed3(new Decimal(s.consumption));
      if (!item.value.equals(s.value) || item.given !== s.given || consumption !== storedConsumption) updates.push(item);
    }
    previous = item;
  }
  return { inserts, updates, accepted, unchanged, ...(problem ? { problem } : {}) };
}

/** The holder of a meter on a day: the last whose period began on or before it. */
function holderOn(holders: { customerId: string; propertyId: string; validFrom: string | null }[], day: string) {
  let found = holders[0];
  for (const h of holders) if (h.validFrom === null || h.validFrom <= day) found = h;
  return found;
}

/**
 * Meters and their readings: the billing system's feed, what customers see, and the readings
 * customers report themselves.
 */
export class MeterService {
  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
    private readonly customers: CustomerReferences,
  ) {}

  private today(): string {
    return warsawDate(this.clock.now());
  }

  // --- The billing feed -------------------------------------------------------------------

  /**
   * Stores a meter by its serial number: the latest body wins and each change is kept in
   * `meter_history`. When the meter changes hands (customer or property), the new holder's period
   * starts today, so readings already taken stay with the one who had it.
   */
  async upsertMeter(serialNumber: string, body: MeterBody): Promise<{ created: boolean; meter: FedMeter }> {
    const now = this.clock.now();
    const today = warsawDate(now);
    return this.db.transaction(async (trx) => {
      const store = new MeterStore(trx);
      // References are the customers module's to check (422 naming customerNumber / propertyId).
      const customer = await this.customers.requireCustomer(trx, body.customerNumber);
      const property = await this.customers.requireProperty(trx, customer, body.propertyId);
      const customerId = customer.id;
      const propertyId = property.id;
      const contentHash = canonicalHash(body);
      const fed: FedMeter = { serialNumber, customerNumber: body.customerNumber, propertyId: body.propertyId, body };
      const existing = await store.meterBySerial(serialNumber, { forUpdate: true });
      if (!existing) {
        const meterId = await store.insertMeter({ serialNumber, customerId, propertyId, body, contentHash, at: now });
        await store.addHolder({ meterId, customerId, propertyId, validFrom: null });
        await store.insertHistory({ meterId, customerId, propertyId, body, at: now });
        return { created: true, meter: fed };
      }
      if (existing.contentHash === contentHash) return { created: false, meter: fed };
      await store.updateMeter(existing.id, { customerId, propertyId, body, contentHash, at: now });
      if (existing.customerId !== customerId || existing.propertyId !== propertyId) {
        await store.addHolder({ meterId: existing.id, customerId, propertyId, validFrom: today });
      }
      await store.insertHistory({ meterId: existing.id, customerId, propertyId, body, at: now });
      return { created: false, meter: fed };
    });
  }

  /**
   * Stores a batch of readings, keyed by (meter, date, type): the same reading again changes
   * nothing, a changed one is updated. Any bad reading refuses the whole batch, naming its index.
   */
  /** Checks every reading of a feed batch; the first bad one refuses the batch with 422 naming it. */
  private checkFeedReadings(items: readonly unknown[]): FeedReading[] {
    return items.map((item, index) => {
      const parsed = feedReading.safeParse(item);
      if (parsed.success) return parsed.data;
      const problems = parsed.error.issues.map((issue) => ({
        field: ['readings', index, ...issue.path].map(String).join('.'),
        message: issue.code === 'unrecognized_keys' ? `unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}` : issue.message,
      }));
      const first = problems[0]!;
      throw meterErrors.create('invalid_reading', `Reading ${index}: ${first.field} ${first.message}.`, { field: first.field, index, problems });
    });
  }

  async feedReadings(items: readonly unknown[]): Promise<{ accepted: number; unchanged: number }> {
    const readings = this.checkFeedReadings(items);
    const seen = new Map<string, number>();
    readings.forEach((r, index) => {
      const key = `${r.meterSerial}\u0000${r.readOn}\u0000${r.type}`;
      const first = seen.get(key);
      if (first !== undefined) {
        throw meterErrors.create(
          'duplicate_reading_in_batch',
          `Reading ${index} repeats reading ${first} (meter ${r.meterSerial}, ${r.readOn}, ${r.type}).`,
          { field: `readings.${index}`, index },
        );
      }
      seen.set(key, index);
    });
    const now = this.clock.now();
    return this.db.transaction(async (trx) => {
      const store = new MeterStore(trx);
      const serials = [...new Set(readings.map((r) => r.meterSerial))];
      const meters = await store.lockMetersBySerials(serials);
      const bySerial = new Map(meters.map((m) => [m.serialNumber, m]));
      readings.forEach((r, index) => {
        if (!bySerial.has(r.meterSerial)) {
          throw meterErrors.create('unknown_meter', `Reading ${index}: no meter ${r.meterSerial}; send the meter first.`, {
            field: `readings.${index}.meterSerial`,
            index,
          });
        }
      });
      const meterIds = meters.map((m) => m.id);
      const earliest = new Map<string, string>();
      for (const r of readings) {
        const day = earliest.get(r.meterSerial);
        if (!day || r.readOn < day) earliest.set(r.meterSerial, r.readOn);
      }
      const existing = await store.readingsFrom(meters.map((m) => ({ meterId: m.id, from: earliest.get(m.serialNumber)! })));
      const holders = await store.holdersOf(meterIds);
      let accepted = 0;
      let unchanged = 0;
      const inserts: NewReading[] = [];
      const updates: ChainItem[] = [];
      for (const meter of meters) {
        const incoming = readings
          .map((r, index) => ({ r, index }))
          .filter(({ r }) => r.meterSerial === meter.serialNumber)
          .map(({ r, index }) => ({ index, readOn: r.readOn, type: r.type, value: r.value, consumption: r.consumption }));
        const plan = planChain(
          existing.filter((e) => e.meterId === meter.id),
          incoming,
        );
        if (plan.problem) throw feedProblem(plan.problem);
        accepted += plan.accepted;
        unchanged += plan.unchanged;
        const meterHolders = holders.filter((h) => h.meterId === meter.id);
        for (const item of plan.inserts) {
          const holder = holderOn(meterHolders, item.readOn) ?? { customerId: meter.customerId, propertyId: meter.propertyId };
          inserts.push(newReading(meter.id, holder, item, 'billing', null, now));
        }
        updates.push(...plan.updates);
      }
      await store.insertReadings(inserts);
      for (const u of updates) {
        await store.updateReading(u.id!, { value: fixed3(u.value), consumption: u.consumption ? fixed3(u.consumption) : null, consumptionGiven: u.given });
      }
      return { accepted, unchanged };
    });
  }

  /** Readings customers reported after `since`, oldest first, for the billing system. */
  async customerReadingsSince(since: Date, page: { limit: number; cursor?: string | undefined }): Promise<Page<CustomerReportView>> {
    let after: { createdAt: Date; id: string } | undefined;
    if (page.cursor) {
      const [at, id] = decodeCursor(page.cursor, 2) as [string, string];
      const createdAt = new Date(at);
      if (Number.isNaN(createdAt.getTime()) || createdAt.getUTCFullYear() < 1 || createdAt.getUTCFullYear() > 9999 || !ROW_ID.test(id)) decodeCursor('', 2);
      after = { createdAt, id };
    }
    const rows = await new MeterStore(this.db).customerReports({ since, after, limit: page.limit + 1 });
    const items = rows.slice(0, page.limit);
    const last = items[items.length - 1];
    return {
      items: items.map((r) => ({
        meterSerial: r.meterSerial,
        customerNumber: r.customerNumber,
        propertyId: r.propertyNumber,
        readOn: r.readOn,
        value: r.value,
        consumption: r.consumption,
        reportedAt: r.createdAt,
      })),
      nextCursor: rows.length > page.limit && last ? encodeCursor([last.createdAt.toISOString(), last.id]) : null,
    };
  }

  // --- What customers see -----------------------------------------------------------------

  /** The customer's meters (those they hold now), filtered by part of the serial and by status. */
  async metersOfCustomer(customerId: string, filter: { serial?: string | undefined; status?: 'active' | 'removed' | undefined } = {}): Promise<MeterView[]> {
    const store = new MeterStore(this.db);
    const meters = await store.metersOfCustomer(customerId, filter);
    const last = await store.lastReadings(customerId, meters.map((m) => m.id));
    const today = this.today();
    return meters.map((m) => this.view(m, last.get(m.id) ?? null, today));
  }

  /** The customer's meters grouped by the property's number (for `GET /api/me` and the dashboard). */
  async metersByProperty(customerId: string): Promise<Map<string, MeterView[]>> {
    const byProperty = new Map<string, MeterView[]>();
    for (const m of await this.metersOfCustomer(customerId)) {
      const list = byProperty.get(m.property.id) ?? [];
      list.push(m);
      byProperty.set(m.property.id, list);
    }
    return byProperty;
  }

  /** One of the customer's meters; another customer's answers 404 like a missing one. */
  async meterOfCustomer(customerId: string, serial: string): Promise<MeterView> {
    const store = new MeterStore(this.db);
    // The meter and its last reading side by side: one round trip (the reading is the customer's own).
    const [meter, last] = await Promise.all([this.ownMeter(store, customerId, serial), store.lastReadingOfSerial(customerId, serial)]);
    return this.view(meter, last, this.today());
  }

  /** The customer's readings of their meter (from their own period), newest first, paged. */
  async readings(
    customerId: string,
    serial: string,
    query: { from?: string | undefined; to?: string | undefined; limit?: number | undefined; cursor?: string | undefined } = {},
  ): Promise<Page<ReadingView>> {
    const store = new MeterStore(this.db);
    const meter = await this.ownMeter(store, customerId, serial);
    const limit = query.limit ?? 100;
    let after: { readOn: string; id: string } | undefined;
    if (query.cursor) {
      const [readOn, id] = decodeCursor(query.cursor, 2) as [string, string];
      if (!isCalendarDate(readOn) || !ROW_ID.test(id)) decodeCursor('', 2);
      after = { readOn, id };
    }
    const rows = await store.readingsPage({ meterId: meter.id, customerId, from: query.from, to: query.to, after, limit: limit + 1 });
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map(readingView),
      nextCursor: rows.length > limit && last ? encodeCursor([last.readOn, last.id]) : null,
    };
  }

  /** Consumption per month (`YYYY-MM`) or year (`YYYY`) from the customer's readings, newest first. */
  async consumption(customerId: string, serial: string, by: 'month' | 'year'): Promise<{ period: string; consumption: string }[]> {
    const store = new MeterStore(this.db);
    const meter = await this.ownMeter(store, customerId, serial);
    return store.consumptionTotals(meter.id, customerId, by);
  }

  /**
   * A reading the customer reports (type `customer`). Refused when the meter is removed, the date
   * is in the future or more than 7 days back, the value is below the last reading or more than
   * 50 m³ a day above the previous one. One report a day per meter, enforced by the database.
   */
  async reportReading(customerId: string, serial: string, input: { value: string; readOn?: string | undefined }): Promise<ReadingView> {
    const now = this.clock.now();
    const today = warsawDate(now);
    const readOn = input.readOn ?? today;
    try {
      return await this.db.transaction(async (trx) => {
        const store = new MeterStore(trx);
        const meter = await this.ownMeter(store, customerId, serial, true);
        if (meter.status === 'removed') {
          throw meterErrors.create('meter_removed', `Meter ${serial} was removed${meter.removedOn ? ` on ${meter.removedOn}` : ''}; it takes no readings.`);
        }
        if (readOn > today) {
          throw meterErrors.create('reading_date_in_future', `readOn ${readOn} is in the future; today is ${today}.`, { field: 'readOn' });
        }
        if (readOn < addDays(today, -MAX_REPORT_AGE_DAYS)) {
          throw meterErrors.create('reading_date_too_old', `readOn ${readOn} is more than ${MAX_REPORT_AGE_DAYS} days back; report a reading from the last week.`, {
            field: 'readOn',
          });
        }
        // Checked here for a clear answer; the unique indexes are what holds under concurrent posts.
        if (await store.hasCustomerReport(meter.id, today, readOn)) throw alreadyReported(serial, readOn);
        const existing = await store.readingsFrom([{ meterId: meter.id, from: readOn }]);
        const value = new Decimal(input.value);
        const last = existing[existing.length - 1];
        if (last && value.lessThan(last.value)) {
          throw meterErrors.create('reading_below_last', `The value ${fixed3(value)} m³ is below the last reading, ${fixed3(new Decimal(last.value))} m³ on ${last.readOn}.`, {
            field: 'value',
            lastReading: { readOn: last.readOn, value: fixed3(new Decimal(last.value)) },
          });
        }
        const previous = [...existing].reverse().find((r) => r.readOn <= readOn);
        if (previous) {
          const days = Math.max(1, daysBetween(previous.readOn, readOn));
          const limit = new Decimal(previous.value).plus(MAX_DAILY_CONSUMPTION.times(days));
          if (value.greaterThan(limit)) {
            throw meterErrors.create(
              'reading_too_high',
              `The value ${fixed3(value)} m³ is more than ${MAX_DAILY_CONSUMPTION.toString()} m³ a day above the reading of ${previous.readOn} (${fixed3(new Decimal(previous.value))} m³); check the number.`,
              { field: 'value' },
            );
          }
        }
        // Always a new row: a second report for the day or for the date is refused by the database.
        const plan = planChain(existing, [{ index: 0, readOn, type: 'customer', value: input.value }], { alwaysInsert: true });
        if (plan.problem) {
          throw meterErrors.create(
            plan.problem.kind === 'out_of_order' ? 'reading_out_of_order' : 'reading_below_last',
            `The value ${fixed3(value)} m³ does not fit the reading of ${plan.problem.readOn} (${plan.problem.against} m³).`,
            { field: 'value' },
          );
        }
        const item = plan.inserts[0]!;
        await store.insertReadings([newReading(meter.id, { customerId, propertyId: meter.propertyId }, item, 'customer', today, now)]);
        for (const u of plan.updates) {
          await store.updateReading(u.id!, { value: fixed3(u.value), consumption: u.consumption ? fixed3(u.consumption) : null, consumptionGiven: u.given });
        }
        const days = previous ? daysBetween(previous.readOn, readOn) : 0;
        return {
          readOn,
          type: 'customer' as const,
          value: fixed3(value),
          consumption: item.consumption ? fixed3(item.consumption) : null,
          dailyAverage: item.consumption && days > 0 ? item.consumption.dividedBy(days).toFixed(3) : null,
        };
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyReported(serial, readOn);
      throw err;
    }
  }

  /** Active meters whose legalisation ends between the two dates (inclusive), for notices. */
  async metersWithLegalisationEndingBetween(from: string, to: string): Promise<LegalisationEnding[]> {
    const meters = await new MeterStore(this.db).legalisationEndingBetween(from, to);
    return meters.map((m) => ({
      serialNumber: m.serialNumber,
      customerId: m.customerId,
      customerNumber: m.customerNumber,
      propertyId: m.propertyNumber,
      propertyAddress: m.propertyAddress,
      kind: m.kind,
      legalisationValidUntil: m.legalisationValidUntil,
    }));
  }

  private async ownMeter(store: MeterStore, customerId: string, serial: string, forUpdate = false): Promise<Meter> {
    const meter = await store.meterBySerial(serial, { customerId, forUpdate });
    if (!meter) throw meterErrors.create('meter_not_found', `No meter ${serial} on your account.`);
    return meter;
  }

  private view(m: Meter, last: ReadingWithAverage | null, today: string): MeterView {
    const daysLeft = daysBetween(today, m.legalisationValidUntil);
    return {
      serialNumber: m.serialNumber,
      kind: m.kind,
      status: m.status,
      owner: m.owner,
      registeredOn: m.registeredOn,
      installedOn: m.installedOn,
      removedOn: m.removedOn,
      legalisedOn: m.legalisedOn,
      legalisationValidUntil: m.legalisationValidUntil,
      legalisationDaysLeft: daysLeft,
      legalisationWarning: daysLeft <= LEGALISATION_WARNING_DAYS,
      diameterMm: m.diameterMm,
      tariff: m.tariff,
      property: { id: m.propertyNumber, address: m.propertyAddress },
      lastReading: last ? readingView(last) : null,
    };
  }
}

function readingView(r: ReadingWithAverage): ReadingView {
  return { readOn: r.readOn, type: r.type, value: r.value, consumption: r.consumption, dailyAverage: r.dailyAverage };
}

function newReading(
  meterId: string,
  holder: { customerId: string; propertyId: string },
  item: Pick<ChainItem, 'readOn' | 'type' | 'value' | 'consumption' | 'given'>,
  source: 'billing' | 'customer',
  reportedOn: string | null,
  at: Date,
): NewReading {
  return {
    meterId,
    customerId: holder.customerId,
    propertyId: holder.propertyId,
    readOn: item.readOn,
    type: item.type,
    value: fixed3(item.value),
    consumption: item.consumption ? fixed3(item.consumption) : null,
    consumptionGiven: item.given,
    source,
    reportedOn,
    createdAt: at,
  };
}

function alreadyReported(serial: string, readOn: string): AppError {
  return meterErrors.create(
    'reading_already_reported',
    `A reading of meter ${serial} was already reported today or for ${readOn}; one report a day per meter.`,
  );
}

function feedProblem(p: ChainProblem): AppError {
  if (p.kind === 'below_previous') {
    return meterErrors.create(
      'reading_below_previous',
      `Reading ${p.index}: the value is below the previous reading (${p.against} m³ on ${p.readOn}); send its consumption to record a meter change.`,
      { field: `readings.${p.index}.value`, index: p.index },
    );
  }
  return meterErrors.create('reading_out_of_order', `Reading ${p.index}: the value is above the later reading of ${p.readOn} (${p.against} m³).`, {
    field: `readings.${p.index}.value`,
    index: p.index,
  });
}
