import type { Knex } from 'knex';
import { unknownCustomer, unknownProperty } from '../customers/index.js';
import { isUniqueViolation } from '../db/errors.js';
import type { LedgerService } from '../ledger/index.js';
import { documentOf, existingInvoice, fieldsOf, immutable, ksefTaken, unknownCorrected } from './documents.js';
import type { InvoiceBody } from './schema.js';
import { InvoiceStore, type IssueOutcome, type Invoice } from './store.js';

/**
 * One document issued inside the caller's transaction, with the feed's rules: the customer's row
 * locked, the references checked, the insert and the ledger's `invoiceIssued`, in one statement
 * and the ledger's own. Throws the feed's refusal (an AppError). With `savepoint` a KSeF number
 * taken meanwhile leaves the caller's transaction usable (a bulk upload goes on with its next line).
 */
export async function issueOne(
  trx: Knex.Transaction,
  ledger: LedgerService,
  invoiceNumber: string,
  body: InvoiceBody,
  contentHash: string,
  options: { savepoint?: boolean } = {},
): Promise<{ created: boolean; invoice: Invoice }> {
  const store = new InvoiceStore(trx);
  const insert = (db: Knex.Transaction) =>
    new InvoiceStore(db).lockAndInsert(fieldsOf(invoiceNumber, body, contentHash));
  let found: IssueOutcome;
  try {
    found = options.savepoint && body.ksefNumber !== undefined ? await trx.transaction((sp) => insert(sp)) : await insert(trx);
  } catch (err) {
    if (isUniqueViolation(err, 'invoices_ksef_number_unique')) throw ksefTaken(body.ksefNumber ?? '');
    throw err;
  }
  if (found.customerId === null) throw unknownCustomer(body.customerNumber);
  if (found.existingId !== null) {
    // The same content again: the answer is what was sent (it hashes the same as what is stored).
    if (found.existingHash === contentHash) {
      const ids = { id: found.existingId, customerId: found.customerId, propertyId: found.propertyId ?? '' };
      return { created: false, invoice: documentOf(ids, invoiceNumber, body, contentHash) };
    }
    throw immutable(await existingInvoice(store, invoiceNumber), body);
  }
  if (found.propertyId === null) throw unknownProperty(body.customerNumber, body.propertyId);
  if (body.correctedInvoiceNumber !== undefined && found.correctedInvoiceId === null) {
    throw unknownCorrected(body.customerNumber, body.correctedInvoiceNumber);
  }
  if (found.id === null) {
    // Inserted meanwhile (by a request that held the lock, or under another customer's lock):
    // compare with what won.
    const winner = await existingInvoice(store, invoiceNumber);
    if (winner.contentHash === contentHash) return { created: false, invoice: winner };
    throw immutable(winner, body);
  }
  const invoice = documentOf({ id: found.id, customerId: found.customerId, propertyId: found.propertyId }, invoiceNumber, body, contentHash);
  await ledger.invoiceIssued(trx, { id: invoice.id, customerId: invoice.customerId, invoiceNumber, amount: body.amount, issueDate: body.issueDate });
  return { created: true, invoice };
}
