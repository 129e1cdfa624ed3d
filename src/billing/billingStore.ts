import type { Queryable } from '../db/createDb.js';
import type { CustomerBody, InvoiceBody } from './schemas.js';

export interface Customer {
  id: string;
  customerNumber: string;
  name: string;
  address: { street: string; postalCode: string; city: string };
  email: string | null;
  phone: string | null;
}

export interface Property {
  id: string;
  propertyNumber: string;
  customerId: string;
  address: { street: string; postalCode: string; city: string };
}

export interface Invoice {
  id: string;
  invoiceNumber: string;
  customerId: string;
  customerNumber: string;
  propertyId: string;
  propertyNumber: string;
  kind: 'invoice' | 'correction';
  issueDate: string;
  dueDate: string;
  amount: string;
  currency: string;
  issuedBy: 'office' | 'reader';
  lines: InvoiceBody['lines'];
  contentHash: string;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
const mapCustomer = (r: any): Customer => ({
  id: String(r.id),
  customerNumber: r.customer_number,
  name: r.name,
  address: { street: r.street, postalCode: r.postal_code, city: r.city },
  email: r.email,
  phone: r.phone,
});

const mapProperty = (r: any): Property => ({
  id: String(r.id),
  propertyNumber: r.property_number,
  customerId: String(r.customer_id),
  address: { street: r.street, postalCode: r.postal_code, city: r.city },
});

const mapInvoice = (r: any): Invoice => ({
  id: String(r.id),
  invoiceNumber: r.invoice_number,
  customerId: String(r.customer_id),
  customerNumber: r.customer_number,
  propertyId: String(r.property_id),
  propertyNumber: r.property_number,
  kind: r.kind,
  issueDate: r.issue_date,
  dueDate: r.due_date,
  amount: String(r.amount),
  currency: String(r.currency).trim(),
  issuedBy: r.issued_by,
  lines: r.lines,
  contentHash: r.content_hash,
});
/* eslint-enable @typescript-eslint/no-explicit-any */

const INVOICE_COLUMNS = [
  'i.*',
  'c.customer_number',
  'p.property_number',
];

export class BillingStore {
  constructor(private readonly db: Queryable) {}

  async customerByNumber(customerNumber: string, forUpdate = false): Promise<Customer | undefined> {
    const q = this.db('customers').where({ customer_number: customerNumber }).first();
    const row = await (forUpdate ? q.forUpdate() : q);
    return row ? mapCustomer(row) : undefined;
  }

  async customerById(id: string): Promise<Customer | undefined> {
    const row = await this.db('customers').where({ id }).first();
    return row ? mapCustomer(row) : undefined;
  }

  /** Inserts or updates by the billing system's customer number; answers the row and whether it is new. */
  async upsertCustomer(customerNumber: string, body: CustomerBody): Promise<{ customer: Customer; created: boolean }> {
    const values = {
      name: body.name,
      street: body.address.street,
      postal_code: body.address.postalCode,
      city: body.address.city,
      email: body.email ?? null,
      phone: body.phone ?? null,
    };
    const rows = await this.db('customers')
      .insert({ customer_number: customerNumber, ...values })
      .onConflict('customer_number')
      .merge({ ...values, updated_at: this.db.fn.now() })
      .returning(['*', this.db.raw('(xmax = 0) AS inserted')]);
    const row = rows[0];
    return { customer: mapCustomer(row), created: Boolean(row.inserted) };
  }

  async propertiesOf(customerId: string): Promise<Property[]> {
    const rows = await this.db('properties').where({ customer_id: customerId }).orderBy('property_number');
    return rows.map(mapProperty);
  }

  async propertiesByNumbers(numbers: string[]): Promise<Property[]> {
    if (numbers.length === 0) return [];
    const rows = await this.db('properties').whereIn('property_number', numbers);
    return rows.map(mapProperty);
  }

  async upsertProperty(customerId: string, property: CustomerBody['properties'][number]): Promise<void> {
    const values = {
      street: property.address.street,
      postal_code: property.address.postalCode,
      city: property.address.city,
    };
    await this.db('properties')
      .insert({ customer_id: customerId, property_number: property.id, ...values })
      .onConflict('property_number')
      .merge(values);
  }

  async invoiceByNumber(invoiceNumber: string): Promise<Invoice | undefined> {
    const row = await this.db('invoices as i')
      .join('customers as c', 'c.id', 'i.customer_id')
      .join('properties as p', 'p.id', 'i.property_id')
      .where('i.invoice_number', invoiceNumber)
      .first(INVOICE_COLUMNS);
    return row ? mapInvoice(row) : undefined;
  }

  /** Inserts an invoice unless its number exists; answers the new row, or undefined. */
  async insertInvoice(input: {
    invoiceNumber: string;
    customerId: string;
    propertyId: string;
    body: InvoiceBody;
    contentHash: string;
  }): Promise<string | undefined> {
    const rows = await this.db('invoices')
      .insert({
        invoice_number: input.invoiceNumber,
        customer_id: input.customerId,
        property_id: input.propertyId,
        kind: input.body.kind,
        issue_date: input.body.issueDate,
        due_date: input.body.dueDate,
        amount: input.body.amount,
        currency: input.body.currency,
        issued_by: input.body.issuedBy,
        lines: JSON.stringify(input.body.lines),
        content_hash: input.contentHash,
      })
      .onConflict('invoice_number')
      .ignore()
      .returning('id');
    const first = rows[0] as { id: string } | undefined;
    return first ? String(first.id) : undefined;
  }

  async invoicesOf(customerId: string): Promise<Invoice[]> {
    const rows = await this.db('invoices as i')
      .join('customers as c', 'c.id', 'i.customer_id')
      .join('properties as p', 'p.id', 'i.property_id')
      .where('i.customer_id', customerId)
      .orderBy([{ column: 'i.issue_date', order: 'desc' }, { column: 'i.id', order: 'desc' }])
      .select(INVOICE_COLUMNS);
    return rows.map(mapInvoice);
  }

  async invoicesByNumbers(customerId: string, numbers: string[]): Promise<Invoice[]> {
    if (numbers.length === 0) return [];
    const rows = await this.db('invoices as i')
      .join('customers as c', 'c.id', 'i.customer_id')
      .join('properties as p', 'p.id', 'i.property_id')
      .where('i.customer_id', customerId)
      .whereIn('i.invoice_number', numbers)
      .select(INVOICE_COLUMNS);
    return rows.map(mapInvoice);
  }
}
