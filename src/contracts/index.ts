import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import type { CustomersService } from '../customers/index.js';
import type { DocumentService } from '../documents/index.js';
import type { AppModule } from '../module.js';
import { contractRoutes } from './routes.js';
import { ContractService } from './service.js';

export { ContractService } from './service.js';
export type { Contract } from './store.js';
export type { ContractBody } from './schema.js';
export { presentContract } from './presenters.js';
export { contractErrors } from './errors.js';

/** Contracts: the billing feed, the customer's contracts and their signed scans (documents). */
export function createContractsModule(deps: { db: Knex; clock: Clock; customers: CustomersService; documents: DocumentService }): AppModule<ContractService> {
  const service = new ContractService(deps.db, deps.clock, deps.customers, deps.documents);
  return { name: 'contracts', service, routes: contractRoutes(service), jobs: [] };
}
export { seedDemoContracts } from './demo.js';
