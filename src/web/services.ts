import type { Deps } from '../deps.js';
import { InvoicePdf, isPdfAvailable } from '../invoices/index.js';
import type { WebUser } from './state.js';

/**
 * What the pages ask of the modules, in one place: the pages call module services through this
 * adapter and never the database, so when a module's service changes only this file follows.
 */
export function webServices(deps: Deps) {
  const { auth, customers, invoices, ledger, payments } = deps;
  // The same PDF the API serves (GET /api/invoices/{number}/pdf), built from the same services.
  const invoicePdf = new InvoicePdf(invoices, customers, deps.config.merchant);
  return {
    today: () => ledger.today(),

    /** Throttled per login and client address like the API's login (429 with Retry-After). */
    login: (login: string, password: string, clientAddress: string) => auth.login(login, password, clientAddress),
    /** The user of a session, or undefined once the login is gone or its password changed. */
    sessionUser: (loginId: string, passwordVersion: number): Promise<WebUser | undefined> => auth.sessionUser(loginId, passwordVersion),
    changePassword: (user: WebUser, currentPassword: string, newPassword: string, clientAddress: string) =>
      auth.changePassword(user, currentPassword, newPassword, clientAddress),

    customer: (customerId: string) => customers.customerById(customerId),
    settlements: (customerId: string, filter: Parameters<typeof ledger.settlements>[1]) => ledger.settlements(customerId, filter),
    pendingByInvoice: (customerId: string) => payments.pendingByInvoice(customerId),
    /** Mounted meters whose legalisation ends within the warning period (or has ended). */
    metersNeedingLegalisation: async (customerId: string) =>
      (await deps.meters.metersOfCustomer(customerId, { status: 'active' })).filter((m) => m.legalisationWarning),
    /** One invoice of the customer with what is paid and outstanding; undefined for another's too. */
    invoice: (customerId: string, number: string) => invoices.forCustomer(customerId, number),
    pdfAvailable: isPdfAvailable,
    /** The invoice as a PDF (404 for another's; 404 pdf_not_available before 2014-06-01). */
    invoicePdf: (customerId: string, number: string) => invoicePdf.forCustomer(customerId, number),

    createPayment: async (customerId: string, idempotencyKey: string, invoiceNumbers: string[]) =>
      (await payments.createOrder(customerId, idempotencyKey, invoiceNumbers)).view,
    /** The return page's view: status for anyone, details for the order's own customer. */
    paymentForReturn: (id: string, customerId: string | undefined) => payments.returnView(id, customerId),
  };
}

export type WebServices = ReturnType<typeof webServices>;
