import type { Knex } from 'knex';
import type { DbKind } from '../db/createDb.js';
import type { CustomersService } from '../customers/index.js';
import type { LedgerService } from '../ledger/index.js';
import type { AppModule } from '../module.js';
import { invoiceRoutes } from './routes.js';
import { InvoicesService } from './service.js';
import { InvoicePdf, type Seller } from './pdf.js';

export { InvoicePdf, renderInvoicePdf, type Seller, type InvoicePdfInput } from './pdf.js';

export {
  InvoicesService,
  PDF_AVAILABLE_FROM,
  isPdfAvailable,
  type InvoiceIssuedListener,
  type InvoiceStatus,
  type InvoiceView,
  type PendingPaymentsSource,
} from './service.js';
export type { Invoice, InvoiceKind } from './store.js';
export type { BulkAnswer, BulkLine, BulkRefusal, BulkResult } from './bulkService.js';
export type { InvoiceLine } from './schema.js';
export { invoiceErrors } from './errors.js';

export type InvoicesModule = AppModule<InvoicesService>;

/**
 * Invoices and corrections: the billing feed's `PUT /api/billing/invoices/{n}` and the portal's
 * `GET /api/invoices`, `GET /api/invoices/{number}`. Other modules act on a new invoice in its
 * transaction through `service.onIssued`.
 */
export function createInvoicesModule(deps: { db: Knex; dbKind?: DbKind; customers: CustomersService; ledger: LedgerService; seller: Seller }): InvoicesModule {
  const service = new InvoicesService(deps.db, deps.customers, deps.ledger, deps.dbKind);
  const pdf = new InvoicePdf(service, deps.customers, deps.seller);
  return { name: 'invoices', service, routes: invoiceRoutes(service, pdf), jobs: [] };
}
