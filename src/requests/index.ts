import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { CustomersService } from '../customers/index.js';
import type { FileStore } from '../documents/index.js';
import type { InvoicesService } from '../invoices/index.js';
import type { MeterService } from '../meters/index.js';
import type { AppModule } from '../module.js';
import { requestRoutes } from './routes.js';
import { RequestService, type RequestsSettings } from './service.js';

export {
  RequestService,
  DUE_DAYS,
  STATUS_TRANSITIONS,
  type AttachmentUpload,
  type RequestDetail,
  type RequestPage,
  type RequestView,
  type RequestsSettings,
} from './service.js';
export {
  REQUEST_KINDS,
  REQUEST_STATUSES,
  MAX_ATTACHMENTS,
  MAX_ATTACHMENT_BYTES,
  ATTACHMENT_TYPES,
  newRequestFields,
  type NewRequestFields,
  type RequestKind,
  type RequestStatus,
} from './schema.js';
export { requestErrors } from './errors.js';
export { presentRequest, presentOfficeRequest } from './presenters.js';
export { seedDemoRequests } from './demo.js';

export interface RequestsModuleDeps {
  db: Knex;
  clock: Clock;
  logger: Logger;
  files: FileStore;
  customers: CustomersService;
  invoices: InvoicesService;
  meters: MeterService;
  settings: RequestsSettings;
}

/** Customers' requests to the office (complaints, inquiries, applications) and the office's answers. */
export function createRequestsModule(deps: RequestsModuleDeps): AppModule<RequestService> {
  const service = new RequestService(deps.db, deps.clock, {
    files: deps.files,
    customers: deps.customers,
    invoices: deps.invoices,
    meters: deps.meters,
    logger: deps.logger.child({ component: 'requests' }),
    settings: deps.settings,
  });
  return { name: 'requests', service, routes: requestRoutes(service), jobs: [] };
}
