import type { Knex } from 'knex';
import type { AppModule } from '../module.js';
import { customerRoutes } from './routes.js';
import { CustomersService, type PropertyDetails } from './service.js';

export { CustomersService, unknownCustomer, unknownProperty, type CustomerWithProperties, type PropertyDetails } from './service.js';
export type { Customer, Property } from './store.js';
export { customerErrors } from './errors.js';

/** Without the contracts and meters modules (a partial wiring) a property lists none. */
const noDetails: PropertyDetails = () => Promise.resolve(() => ({ contracts: [], meters: [] }));

export type CustomersModule = AppModule<CustomersService>;

/** Customers and their properties: the billing feed's customers and the portal's `GET /api/me`. */
export function createCustomersModule(deps: { db: Knex; propertyDetails?: PropertyDetails }): CustomersModule {
  const service = new CustomersService(deps.db);
  return { name: 'customers', service, routes: customerRoutes(service, deps.propertyDetails ?? noDetails), jobs: [] };
}
