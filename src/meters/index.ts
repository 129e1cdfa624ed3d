import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import type { CustomersService } from '../customers/index.js';
import type { AppModule } from '../module.js';
import { meterRoutes } from './routes.js';
import { MeterService } from './service.js';

export { MeterService, LEGALISATION_WARNING_DAYS } from './service.js';
export type { MeterView, ReadingView, LegalisationEnding, Page, CustomerReportView } from './service.js';
export { seedDemoMeters } from './demo.js';
/** The JSON of a meter as the API shows it (for `GET /api/me`). */
export { presentMeter, presentReading } from './presenters.js';
export { meterAnswer } from './schema.js';

/** Meters and readings: the billing feed, the customer's meters, readings and reports. */
export function createMetersModule(deps: { db: Knex; clock: Clock; customers: CustomersService }): AppModule<MeterService> {
  const service = new MeterService(deps.db, deps.clock, deps.customers);
  return { name: 'meters', service, routes: meterRoutes(service), jobs: [] };
}
