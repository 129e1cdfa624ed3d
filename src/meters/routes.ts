import { defineRoute, type RouteDefinition } from '../http/defineRoute.js';
import { customerIdOf } from '../http/guards.js';
import {
  presentCustomerReports,
  presentFedMeter,
  presentMeter,
  presentReading,
  presentReadingPage,
} from './presenters.js';
import {
  billingMeter,
  consumptionAnswer,
  consumptionQuery,
  customerReadingsAnswer,
  customerReadingsQuery,
  customerSerialParam,
  feedAnswer,
  meterAnswer,
  meterBody,
  meterListAnswer,
  meterListQuery,
  readingAnswer,
  readingListAnswer,
  readingsBody,
  readingsQuery,
  reportBody,
  serialParam,
} from './schema.js';
import type { MeterService } from './service.js';

const TAG = 'meters';


/** The billing feed of meters and readings, and the customer's meters and readings. */
export function meterRoutes(meters: MeterService): RouteDefinition[] {
  return [
    defineRoute({
      method: 'put',
      path: '/api/billing/meters/:serialNumber',
      tag: TAG,
      summary: 'Create or update a meter (billing system)',
      description:
        'The latest body wins; every change is kept. A meter that changes hands keeps its readings with the customer who had it then: the new holder sees readings from the day of the change on.',
      access: 'billing',
      params: serialParam,
      body: meterBody,
      responses: {
        201: { description: 'The meter was created.', schema: billingMeter },
        200: { description: 'The meter was updated, or was already exactly so.', schema: billingMeter },
      },
      errors: ['unknown_customer', 'unknown_property'],
      handler: async (ctx, { params, body }) => {
        const { created, meter } = await meters.upsertMeter(params.serialNumber, body);
        ctx.status = created ? 201 : 200;
        return presentFedMeter(meter);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/billing/readings',
      tag: TAG,
      summary: 'Feed meter readings (billing system), up to 1,000 a request',
      description:
        'Keyed by (meterSerial, readOn, type): the same reading again changes nothing. consumption is computed from the previous reading when absent. One bad reading refuses the whole request, naming its index (readings.N...).',
      access: 'billing',
      body: readingsBody,
      bodyLimit: 512 * 1024,
      responses: { 200: { description: 'How many readings were stored or changed, and how many were already so.', schema: feedAnswer } },
      errors: ['invalid_reading', 'unknown_meter', 'duplicate_reading_in_batch', 'reading_below_previous', 'reading_out_of_order'],
      handler: async (ctx, { body }) => {
        ctx.status = 200;
        return meters.feedReadings(body.readings);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/billing/customer-readings',
      tag: TAG,
      summary: 'Readings customers reported themselves after an instant, oldest first (billing system)',
      access: 'billing',
      query: customerReadingsQuery,
      responses: { 200: { description: 'A page of reports; nextCursor fetches the next.', schema: customerReadingsAnswer } },
      handler: async (ctx, { query }) => {
        ctx.status = 200;
        return presentCustomerReports(await meters.customerReadingsSince(new Date(query.since), { limit: query.limit, cursor: query.cursor }));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/meters',
      tag: TAG,
      summary: "The customer's meters, filtered by part of the serial number and by status",
      access: ['customer'],
      query: meterListQuery,
      responses: { 200: { description: 'The meters, most recently installed first.', schema: meterListAnswer } },
      handler: async (ctx, { query, user }) => {
        ctx.status = 200;
        const list = await meters.metersOfCustomer(customerIdOf(user), { serial: query.serial, status: query.status });
        return { items: list.map(presentMeter) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/meters/:serial',
      tag: TAG,
      summary: 'One meter: legalisation, tariff, property and the last reading',
      access: ['customer'],
      params: customerSerialParam,
      responses: { 200: { description: 'The meter.', schema: meterAnswer } },
      errors: ['meter_not_found'],
      handler: async (ctx, { params, user }) => {
        ctx.status = 200;
        return presentMeter(await meters.meterOfCustomer(customerIdOf(user), params.serial));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/meters/:serial/readings',
      tag: TAG,
      summary: "The meter's readings with consumption and daily average, newest first",
      access: ['customer'],
      params: customerSerialParam,
      query: readingsQuery,
      responses: { 200: { description: 'A page of readings; nextCursor fetches the next.', schema: readingListAnswer } },
      errors: ['meter_not_found'],
      handler: async (ctx, { params, query, user }) => {
        ctx.status = 200;
        return presentReadingPage(await meters.readings(customerIdOf(user), params.serial, query));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/meters/:serial/consumption',
      tag: TAG,
      summary: 'Consumption per month or year, for a chart (newest period first)',
      access: ['customer'],
      params: customerSerialParam,
      query: consumptionQuery,
      responses: { 200: { description: 'Totals per period, in m³.', schema: consumptionAnswer } },
      errors: ['meter_not_found'],
      handler: async (ctx, { params, query, user }) => {
        ctx.status = 200;
        const items = await meters.consumption(customerIdOf(user), params.serial, query.by);
        return { by: query.by, unit: 'm3' as const, items };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/meters/:serial/readings',
      tag: TAG,
      summary: 'Report a reading (type customer)',
      description:
        'Refused (422) when the meter is removed, the date is in the future or more than 7 days back, the value is below the last reading or more than 50 m³ a day above the previous one; one report a day per meter (409).',
      access: ['customer'],
      params: customerSerialParam,
      body: reportBody,
      bodyLimit: 4 * 1024,
      responses: { 201: { description: 'The reading was recorded.', schema: readingAnswer } },
      errors: [
        'meter_not_found',
        'meter_removed',
        'reading_date_in_future',
        'reading_date_too_old',
        'reading_below_last',
        'reading_too_high',
        'reading_out_of_order',
        'reading_already_reported',
      ],
      handler: async (ctx, { params, body, user }) => {
        const reading = await meters.reportReading(customerIdOf(user), params.serial, body);
        ctx.status = 201;
        return presentReading(reading);
      },
    }),
  ];
}
