import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import type { CustomersService } from '../customers/index.js';
import type { InvoicesService } from '../invoices/index.js';
import type { AppModule } from '../module.js';
import { applicationRoutes } from './routes.js';
import { ApplicationService, type CreateCustomerLogin } from './service.js';

export { ApplicationService, APPLICATION_RECEIVED, type ApplicationView, type CreateCustomerLogin } from './service.js';
export {
  APPLICATION_STATUSES,
  APPLICATIONS_PER_HOUR,
  APPLICATION_DUE_DAYS,
  applicationBody,
  type ApplicationInput,
  type ApplicationStatus,
} from './schema.js';
export { applicationErrors } from './errors.js';
export { presentApplication } from './presenters.js';

/** Online applications for an IBOK login (the public form) and the office's approvals and rejections. */
export function createApplicationsModule(deps: {
  db: Knex;
  clock: Clock;
  customers: CustomersService;
  invoices: InvoicesService;
  /** auth's createCustomerLogin: the login and the e-mail with its one-time password, in our transaction. */
  createCustomerLogin: CreateCustomerLogin;
  senderName: string;
}): AppModule<ApplicationService> {
  const service = new ApplicationService(deps.db, deps.clock, deps);
  return { name: 'applications', service, routes: applicationRoutes(service), jobs: [] };
}
