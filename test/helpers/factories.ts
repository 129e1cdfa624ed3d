import { BILLING_TOKEN, type TestService } from './service.js';

export interface TestCustomer {
  customerNumber: string;
  propertyId: string;
  login: string;
  password: string;
  token: string;
}

let seq = 0;
export function uniqueNumber(prefix: string): string {
  seq += 1;
  return `${prefix}${process.pid}${Date.now().toString(36)}${seq}`;
}

export async function putCustomer(svc: TestService, customerNumber: string, propertyId = `P-${customerNumber}`) {
  const res = await svc.request('PUT', `/api/billing/customers/${encodeURIComponent(customerNumber)}`, {
    token: BILLING_TOKEN,
    body: {
      name: `Klient ${customerNumber}`,
      address: { street: 'ul. Zamkowa 1', postalCode: '32-600', city: 'Oświęcim' },
      email: `k${customerNumber}@example.com`,
      properties: [{ id: propertyId, address: { street: 'ul. Zamkowa 1', postalCode: '32-600', city: 'Oświęcim' } }],
    },
  });
  if (res.status !== 201 && res.status !== 200) throw new Error(`putCustomer: ${res.status} ${res.text}`);
  return res.body;
}

export async function putInvoice(
  svc: TestService,
  invoiceNumber: string,
  fields: { customerNumber: string; propertyId: string; amount: string; issueDate?: string; dueDate?: string; kind?: string },
) {
  const res = await svc.request('PUT', `/api/billing/invoices/${encodeURIComponent(invoiceNumber)}`, {
    token: BILLING_TOKEN,
    body: {
      customerNumber: fields.customerNumber,
      propertyId: fields.propertyId,
      kind: fields.kind ?? 'invoice',
      issueDate: fields.issueDate ?? '2026-11-01',
      dueDate: fields.dueDate ?? '2026-11-15',
      amount: fields.amount,
      currency: 'PLN',
      issuedBy: 'office',
    },
  });
  if (res.status !== 201 && res.status !== 200) throw new Error(`putInvoice: ${res.status} ${res.text}`);
  return res.body;
}

/** A customer with a property and a login whose password is already set, logged in. */
export async function createCustomer(svc: TestService, customerNumber = uniqueNumber('C')): Promise<TestCustomer> {
  const propertyId = `P-${customerNumber}`;
  await putCustomer(svc, customerNumber, propertyId);
  const row = await svc.db.knex('customers').where({ customer_number: customerNumber }).first();
  const login = `login-${customerNumber}`;
  const password = 'correct-horse-battery';
  await svc.deps.auth.ensureCustomerLogin(svc.db.knex, login, password, String(row.id));
  const res = await svc.request('POST', '/api/auth/login', { body: { login, password } });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${res.text}`);
  return { customerNumber, propertyId, login, password, token: res.body.accessToken };
}

export async function loginAs(svc: TestService, login: string, password: string): Promise<string> {
  const res = await svc.request('POST', '/api/auth/login', { body: { login, password } });
  if (res.status !== 200) throw new Error(`login ${login}: ${res.status} ${res.text}`);
  return res.body.accessToken;
}
