import { z } from 'zod';
import { address, businessNumber, dateString } from '../schemas.js';

/** A meter register in m³: a decimal string with up to 3 fractional digits that fits numeric(12,3). */
export const READING_PATTERN = /^(0|[1-9]\d{0,8})(\.\d{1,3})?$/;
export const readingValue = z
  .string({ message: 'must be a decimal string in m³ such as "123.456" (JSON numbers are refused)' })
  .regex(READING_PATTERN, { message: 'must be a decimal string in m³ with up to 3 fractional digits, such as "123.456"' });

const reference = z.string().min(1).max(64).regex(/^[A-Za-z0-9/._-]+$/, { message: 'may hold letters, digits and / . _ - only' });

export const tariff = z.strictObject({
  code: z.string().trim().min(1).max(32),
  name: z.string().trim().min(1).max(200),
});

export const serialParam = z.strictObject({ serialNumber: businessNumber });
export const customerSerialParam = z.strictObject({ serial: businessNumber });

export const meterBody = z
  .strictObject({
    customerNumber: reference,
    propertyId: reference,
    kind: z.enum(['main', 'sub'], { message: 'must be main or sub' }),
    status: z.enum(['active', 'removed'], { message: 'must be active or removed' }),
    owner: z.enum(['utility', 'customer'], { message: 'must be utility or customer' }),
    registeredOn: dateString,
    installedOn: dateString,
    removedOn: dateString.optional(),
    legalisedOn: dateString,
    legalisationValidUntil: dateString,
    diameterMm: z.number().int().min(1).max(1000).optional(),
    tariff,
  })
  .superRefine((v, ctx) => {
    if (v.legalisationValidUntil < v.legalisedOn) {
      ctx.addIssue({ code: 'custom', path: ['legalisationValidUntil'], message: 'must not be before legalisedOn' });
    }
    if (v.removedOn && v.removedOn < v.installedOn) {
      ctx.addIssue({ code: 'custom', path: ['removedOn'], message: 'must not be before installedOn' });
    }
    if (v.status === 'removed' && !v.removedOn) {
      ctx.addIssue({ code: 'custom', path: ['removedOn'], message: 'is required when status is removed' });
    }
  });
export type MeterBody = z.output<typeof meterBody>;

export const READING_TYPES = ['actual', 'estimated', 'customer', 'remote'] as const;
export type ReadingType = (typeof READING_TYPES)[number];

export const MAX_READINGS_PER_REQUEST = 1000;

export const feedReading = z.strictObject({
  meterSerial: reference,
  readOn: dateString,
  type: z.enum(READING_TYPES, { message: 'must be actual, estimated, customer or remote' }),
  value: readingValue,
  consumption: readingValue.optional(),
});
export type FeedReading = z.output<typeof feedReading>;

/**
 * The route takes each reading as it comes: the service checks it against `feedReading`, so that one
 * bad reading answers 422 naming `readings.N.field` (SPEC 4.1) rather than the edge's 400. The
 * OpenAPI description still shows a reading's shape.
 */
const { $schema: _dialect, ...feedReadingJsonSchema } = z.toJSONSchema(feedReading, { io: 'input' });
const uncheckedReading = z.unknown().meta({ override: feedReadingJsonSchema });

export const readingsBody = z.strictObject({
  readings: z
    .array(uncheckedReading)
    .min(1, { message: 'must hold at least one reading' })
    .max(MAX_READINGS_PER_REQUEST, { message: `may hold at most ${MAX_READINGS_PER_REQUEST} readings a request` }),
});

const limit = z.coerce.number({ message: 'must be a whole number from 1 to 500' }).int().min(1).max(500).default(100);
const cursor = z.string().min(1).max(200).optional();

export const customerReadingsQuery = z.strictObject({
  since: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 instant with an offset, such as 2026-12-01T00:00:00Z' }),
  limit,
  cursor,
});

export const meterListQuery = z.strictObject({
  // An empty `serial=` (a form left blank) filters nothing.
  serial: z.string().trim().max(64).optional(),
  status: z.enum(['active', 'removed'], { message: 'must be active or removed' }).optional(),
});

export const readingsQuery = z
  .strictObject({ from: dateString.optional(), to: dateString.optional(), limit, cursor })
  .refine((v) => !v.from || !v.to || v.from <= v.to, { path: ['to'], message: 'must not be before from' });

export const consumptionQuery = z.strictObject({
  by: z.enum(['month', 'year'], { message: 'must be month or year' }).default('month'),
});

export const reportBody = z.strictObject({ value: readingValue, readOn: dateString.optional() });

// Answers.

const property = z.object({ id: z.string(), address });

export const billingMeter = z.object({
  serialNumber: z.string(),
  customerNumber: z.string(),
  propertyId: z.string(),
  kind: z.enum(['main', 'sub']),
  status: z.enum(['active', 'removed']),
  owner: z.enum(['utility', 'customer']),
  registeredOn: z.string(),
  installedOn: z.string(),
  removedOn: z.string().nullable(),
  legalisedOn: z.string(),
  legalisationValidUntil: z.string(),
  diameterMm: z.number().nullable(),
  tariff,
});

export const feedAnswer = z.object({ accepted: z.number().int(), unchanged: z.number().int() });

export const customerReadingsAnswer = z.object({
  items: z.array(
    z.object({
      meterSerial: z.string(),
      customerNumber: z.string(),
      propertyId: z.string(),
      readOn: z.string(),
      type: z.literal('customer'),
      value: z.string(),
      consumption: z.string().nullable(),
      reportedAt: z.string(),
    }),
  ),
  nextCursor: z.string().nullable(),
});

export const readingAnswer = z.object({
  date: z.string(),
  type: z.enum(READING_TYPES),
  value: z.string(),
  consumption: z.string().nullable(),
  dailyAverage: z.string().nullable().meta({ description: 'm³ a day over the days since the previous reading' }),
});

export const meterAnswer = z.object({
  number: z.string(),
  kind: z.enum(['main', 'sub']),
  status: z.enum(['active', 'removed']),
  owner: z.enum(['utility', 'customer']),
  registeredOn: z.string(),
  installedOn: z.string(),
  removedOn: z.string().nullable(),
  legalisedOn: z.string(),
  legalisationValidUntil: z.string(),
  legalisationDaysLeft: z.number().int().meta({ description: 'Days from today (Europe/Warsaw) to legalisationValidUntil; negative once past.' }),
  legalisationWarning: z.boolean().meta({ description: 'true within 90 days of the expiry or past it' }),
  diameterMm: z.number().nullable(),
  tariff,
  property,
  lastReading: readingAnswer.nullable(),
});

export const meterListAnswer = z.object({ items: z.array(meterAnswer) });
export const readingListAnswer = z.object({ items: z.array(readingAnswer), nextCursor: z.string().nullable() });
export const consumptionAnswer = z.object({
  by: z.enum(['month', 'year']),
  unit: z.literal('m3'),
  items: z.array(z.object({ period: z.string().meta({ description: 'YYYY-MM or YYYY' }), consumption: z.string() })),
});
