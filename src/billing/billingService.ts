import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { AppError, conflict } from '../errors.js';
import type { LedgerService } from '../ledger/ledgerService.js';
import type { CustomerDirectory } from '../auth/authService.js';
import { BillingStore, type Customer, type Invoice, type Property } from './billingStore.js';
import type { CustomerBody, InvoiceBody } from './schemas.js';

/** Canonical JSON (sorted keys) so the same document hashes the same whatever the key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function invoiceContent(invoice: InvoiceBody | Invoice, customerNumber: string, propertyNumber: string) {
  return {
    customerNumber,
    propertyId: propertyNumber,
    kind: invoice.kind,
    issueDate: invoice.issueDate,
    dueDate: invoice.dueDate,
    amount: invoice.amount,
    currency: invoice.currency,
    issuedBy: invoice.issuedBy,
    lines: invoice.lines,
  };
}

/** The billing system's feed: idempotent upserts keyed by its own numbers. */
export class BillingService implements CustomerDirectory {
  constructor(
    private readonly db: Knex,
    private readonly ledger: LedgerService,
  ) {}

  async findByNumber(db: Knex | Knex.Transaction, customerNumber: string) {
    const c = await new BillingStore(db).customerByNumber(customerNumber);
    return c ? { id: c.id, name: c.name } : undefined;
  }

  async customerById(id: string): Promise<(Customer & { properties: Property[] }) | undefined> {
    const store = new BillingStore(this.db);
    const customer = await store.customerById(id);
    if (!customer) return undefined;
    return { ...customer, properties: await store.propertiesOf(id) };
  }

  async upsertCustomer(
    customerNumber: string,
    body: CustomerBody,
  ): Promise<{ created: boolean; customer: Customer & { properties: Property[] } }> {
    const ids = body.properties.map((p) => p.id);
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup) throw new AppError(400, 'validation_failed', `Invalid request body: properties lists ${dup} twice.`, [{ field: 'properties', message: `duplicate id ${dup}` }]);
    return this.db.transaction(async (trx) => {
      const store = new BillingStore(trx);
      const { customer, created } = await store.upsertCustomer(customerNumber, body);
      const existing = await store.propertiesByNumbers(ids);
      const foreign = existing.find((p) => p.customerId !== customer.id);
      if (foreign) {
        throw conflict(
          'property_of_another_customer',
          `Property ${foreign.propertyNumber} belongs to another customer; move it there first.`,
          { field: 'properties', propertyId: foreign.propertyNumber },
        );
      }
      for (const p of body.properties) await store.upsertProperty(customer.id, p);
      return { created, customer: { ...customer, properties: await store.propertiesOf(customer.id) } };
    });
  }

  /**
   * Stores an issued invoice or correction. The same content again is a no-op (200); different
   * content for an existing number is refused (409): an issued document never changes.
   */
  async issueInvoice(invoiceNumber: string, body: InvoiceBody): Promise<{ created: boolean; invoice: Invoice }> {
    const contentHash = createHash('sha256')
      .update(canonical(invoiceContent(body, body.customerNumber, body.propertyId)))
      .digest('hex');
    return this.db.transaction(async (trx) => {
      const store = new BillingStore(trx);
      const customer = await store.customerByNumber(body.customerNumber, true);
      if (!customer) {
        throw new AppError(422, 'unknown_customer', `No customer with number ${body.customerNumber}; send the customer first.`, {
          field: 'customerNumber',
        });
      }
      const existing = await store.invoiceByNumber(invoiceNumber);
      if (existing) return { created: false, invoice: sameOrConflict(existing, contentHash, body) };
      const [property] = await store.propertiesByNumbers([body.propertyId]);
      if (!property || property.customerId !== customer.id) {
        throw new AppError(422, 'unknown_property', `Customer ${body.customerNumber} has no property ${body.propertyId}.`, {
          field: 'propertyId',
        });
      }
      const id = await store.insertInvoice({ invoiceNumber, customerId: customer.id, propertyId: property.id, body, contentHash });
      if (!id) {
        // Inserted meanwhile under another customer's lock: compare with what won.
        const winner = await store.invoiceByNumber(invoiceNumber);
        if (!winner) throw new Error(`invoice ${invoiceNumber} vanished`);
        return { created: false, invoice: sameOrConflict(winner, contentHash, body) };
      }
      await this.ledger.invoiceIssued(trx, {
        id,
        customerId: customer.id,
        invoiceNumber,
        amount: body.amount,
        issueDate: body.issueDate,
      });
      const invoice = await store.invoiceByNumber(invoiceNumber);
      if (!invoice) throw new Error(`invoice ${invoiceNumber} not readable after insert`);
      return { created: true, invoice };
    });
  }

  async invoicesOf(customerId: string): Promise<Invoice[]> {
    return new BillingStore(this.db).invoicesOf(customerId);
  }

  async invoicesByNumbers(db: Knex | Knex.Transaction, customerId: string, numbers: string[]): Promise<Invoice[]> {
    return new BillingStore(db).invoicesByNumbers(customerId, numbers);
  }
}

function sameOrConflict(existing: Invoice, contentHash: string, body: InvoiceBody): Invoice {
  if (existing.contentHash === contentHash) return existing;
  const before = invoiceContent(existing, existing.customerNumber, existing.propertyNumber);
  const after = invoiceContent(body, body.customerNumber, body.propertyId);
  const changed = (Object.keys(after) as (keyof typeof after)[]).filter(
    (k) => canonical(before[k]) !== canonical(after[k]),
  );
  throw conflict(
    'document_immutable',
    `Invoice ${existing.invoiceNumber} was already issued with different content (${changed.join(', ') || 'content'}); issue a correction instead.`,
    { changedFields: changed },
  );
}
