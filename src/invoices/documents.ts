import { createHash } from 'node:crypto';
import { invoiceErrors } from './errors.js';
import type { InvoiceBody } from './schema.js';
import type { Invoice, InvoiceStore } from './store.js';

// What makes a document and how the feed (single and bulk alike) words its refusals.

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

/** The fields that make a document: the same content again is the same document. */
function content(i: {
  customerNumber: string;
  propertyId: string;
  kind: string;
  issueDate: string;
  dueDate: string;
  amount: string;
  currency: string;
  issuedBy: string;
  lines: unknown;
  ksefNumber?: string | null | undefined;
  correctedInvoiceNumber?: string | null | undefined;
}) {
  return {
    customerNumber: i.customerNumber,
    propertyId: i.propertyId,
    kind: i.kind,
    issueDate: i.issueDate,
    dueDate: i.dueDate,
    amount: i.amount,
    currency: i.currency,
    issuedBy: i.issuedBy,
    lines: i.lines,
    // Absent and null hash alike, so documents stored before these fields keep their hash.
    ksefNumber: i.ksefNumber ?? undefined,
    correctedInvoiceNumber: i.correctedInvoiceNumber ?? undefined,
  };
}

const storedContent = (i: Invoice) => content({ ...i, propertyId: i.propertyNumber });

/** The document's content hash: the same content hashes the same whatever the key order. */
export function hashContent(body: InvoiceBody): string {
  return createHash('sha256').update(canonical(content(body))).digest('hex');
}

/** The 409 for a number already issued with other content, naming the fields that differ. */
export function immutable(existing: Invoice, body: InvoiceBody) {
  const before = storedContent(existing);
  const after = content(body);
  const changed = (Object.keys(after) as (keyof typeof after)[]).filter((k) => canonical(before[k]) !== canonical(after[k]));
  return invoiceErrors.create(
    'document_immutable',
    `Invoice ${existing.invoiceNumber} was already issued with different content (${changed.join(', ') || 'content'}); issue a correction instead.`,
    { changedFields: changed },
  );
}

export async function existingInvoice(store: InvoiceStore, invoiceNumber: string): Promise<Invoice> {
  const invoice = await store.byNumber(invoiceNumber);
  if (!invoice) throw new Error(`invoice ${invoiceNumber} vanished`);
  return invoice;
}

/** The document's own fields, as the feed sent them (what an insert writes). */
export function fieldsOf(invoiceNumber: string, body: InvoiceBody, contentHash: string) {
  return {
    invoiceNumber,
    customerNumber: body.customerNumber,
    propertyNumber: body.propertyId,
    kind: body.kind,
    issueDate: body.issueDate,
    dueDate: body.dueDate,
    amount: body.amount,
    currency: body.currency,
    issuedBy: body.issuedBy,
    lines: body.lines,
    ksefNumber: body.ksefNumber ?? null,
    correctedInvoiceNumber: body.correctedInvoiceNumber ?? null,
    contentHash,
  };
}

/** The document as stored, built from what was written (no read-back). */
export function documentOf(ids: { id: string; customerId: string; propertyId: string }, invoiceNumber: string, body: InvoiceBody, contentHash: string): Invoice {
  return { ...ids, ...fieldsOf(invoiceNumber, body, contentHash) };
}

// The invoices module's refusals of the feed (single and bulk alike): one wording each.
export function unknownCorrected(customerNumber: string, correctedNumber: string) {
  return invoiceErrors.create('unknown_invoice', `Customer ${customerNumber} has no invoice ${correctedNumber} to correct; send it first.`, {
    field: 'correctedInvoiceNumber',
  });
}

export function ksefTaken(ksefNumber: string) {
  return invoiceErrors.create('ksef_number_taken', `Another invoice already carries KSeF number ${ksefNumber}.`, { field: 'ksefNumber' });
}
