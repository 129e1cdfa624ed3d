import type { Logger } from 'pino';
import { warsawDate } from '../clock.js';
import type { Deps } from '../deps.js';
import { seedDemoMeters } from '../meters/index.js';
import { seedDemoDocuments } from '../documents/index.js';
import { seedDemoContracts } from '../contracts/index.js';
import { seedDemoRequests } from '../requests/index.js';

export const DEMO_CUSTOMER = {
  customerNumber: '100200',
  login: 'demo',
  password: 'demo-haslo-2026',
} as const;

export const DEMO_STAFF = [
  { login: 'admin', password: 'admin-haslo-2026', role: 'admin' },
  { login: 'ksiegowosc', password: 'ksiegowosc-haslo-2026', role: 'accounting' },
] as const;

function daysFrom(today: string, days: number): string {
  const d = new Date(`${today}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function invoiceNumber(issueDate: string, seq: number): string {
  return `FV/${issueDate.slice(0, 4)}/${issueDate.slice(5, 7)}/${String(seq).padStart(5, '0')}`;
}

/**
 * An empty database gets a demo customer with a login, three invoices (paid, overdue, not yet
 * due) and demo staff logins, all written in README.md. A database with any customer is left alone.
 */
export async function seedDemoData(deps: Deps, logger: Logger): Promise<boolean> {
  const [row] = await deps.db.knex('customers').count<{ n: string }[]>('* as n');
  if (Number(row?.n ?? 0) > 0) return false;

  const today = warsawDate(deps.clock.now());
  const property = { id: 'P-0001', address: { street: 'ul. Zamkowa 12', postalCode: '32-600', city: 'Oświęcim' } };
  const { customer } = await deps.customers.upsertCustomer(DEMO_CUSTOMER.customerNumber, {
    name: 'Jan Kowalski',
    address: property.address,
    email: 'jan.kowalski@example.com',
    phone: '+48 600 100 200',
    properties: [property, { id: 'P-0002', address: { street: 'ul. Słoneczna 4/7', postalCode: '32-600', city: 'Oświęcim' } }],
  });

  // Notices by e-mail and SMS, confirmed: the demo inbox shows the invoice notices and reminders.
  await deps.notices.seedConfirmedSubscription(customer.id, { email: 'jan.kowalski@example.com', phone: '48600100200' });

  const lines = (amount: string) => [
    { description: 'Dostawa wody', quantity: '9.000', unit: 'm3', unitPrice: '5.94', amount },
  ];
  const invoices = [
    { issue: -62, due: -48, amount: '53.46' }, // paid
    { issue: -33, due: -19, amount: '71.28' }, // overdue
    { issue: -11, due: 3, amount: '65.34' }, // due in 3 days: its reminder goes to the demo inbox
  ];
  const numbers: string[] = [];
  for (const [i, inv] of invoices.entries()) {
    const issueDate = daysFrom(today, inv.issue);
    const number = invoiceNumber(issueDate, 1000 + i);
    numbers.push(number);
    await deps.invoices.issueInvoice(number, {
      customerNumber: DEMO_CUSTOMER.customerNumber,
      propertyId: property.id,
      kind: 'invoice',
      issueDate,
      dueDate: daysFrom(today, inv.due),
      amount: inv.amount,
      currency: 'PLN',
      issuedBy: i === 1 ? 'reader' : 'office',
      lines: lines(inv.amount),
    });
  }

  await deps.db.knex.transaction(async (trx) => {
    const [paid] = await trx('invoices').where({ invoice_number: numbers[0] }).select<{ id: string }[]>('id');
    await deps.ledger.recordCredit(
      trx,
      {
        customerId: customer.id,
        kind: 'payment',
        source: 'demo',
        sourceRef: 'DEMO-WPLATA-1',
        documentNumber: 'WPLATA/DEMO/1',
        amount: '53.46',
        receivedOn: daysFrom(today, -50),
        hasInvoiceTarget: true,
      },
      [String(paid!.id)],
    );
    await deps.auth.ensureCustomerLogin(trx, DEMO_CUSTOMER.login, DEMO_CUSTOMER.password, customer.id);
  });
  // Demo staff have the README's public passwords: only when no real admin is configured.
  if (!deps.config.admin) {
    for (const staff of DEMO_STAFF) await deps.auth.ensureStaff(staff.login, staff.password, staff.role);
  }
  await seedDemoMeters(deps.meters, deps.clock, { customerNumber: DEMO_CUSTOMER.customerNumber, mainPropertyId: property.id, secondPropertyId: 'P-0002' });
  await seedDemoDocuments(deps.documents, DEMO_CUSTOMER.customerNumber);
  await seedDemoContracts(deps.contracts, deps.documents, { customerNumber: DEMO_CUSTOMER.customerNumber, customerName: customer.name, mainPropertyId: property.id, secondPropertyId: 'P-0002' });
  await seedDemoRequests(deps.requests, { customerId: customer.id, login: DEMO_CUSTOMER.login, invoiceNumber: numbers[1]! });
  logger.info({ login: DEMO_CUSTOMER.login, invoices: numbers }, 'demo data seeded');
  return true;
}
