import { randomInt } from 'node:crypto';
import type fs from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from 'knex';
import { unknownCustomer, unknownProperty } from '../customers/index.js';
import type { DbKind } from '../db/createDb.js';
import { isRetryableConflict } from '../db/errors.js';
import { AppError } from '../errors.js';
import type { LedgerService } from '../ledger/index.js';
import { documentOf, hashContent, immutable, ksefTaken, unknownCorrected } from './documents.js';
import { BulkStore, stageRow, type BulkStatus, type LineOutcome, type StageAcceptedRow, type StageAnswerRow, type StageSequentialRow } from './bulkStore.js';
import { invoiceErrors } from './errors.js';
import { issueOne } from './issue.js';
import type { InvoiceBody } from './schema.js';
import { InvoiceStore, type Invoice } from './store.js';
import type { InvoiceIssuedListener } from './service.js';
import { openTempFile, Spool } from './spool.js';

/** A line of a bulk upload as read: a document to issue, or what was wrong with the line. */
export type BulkLine =
  | { line: number; invoiceNumber: string; body: InvoiceBody }
  | { line: number; invoiceNumber: string | null; refused: BulkRefusal };

export interface BulkRefusal {
  code: string;
  message: string;
  details?: unknown;
}

/** The answer to one line, in the upload's order. */
export interface BulkAnswer {
  line: number;
  invoiceNumber: string | null;
  status: BulkStatus;
  error?: BulkRefusal;
}

export interface BulkResult {
  lines: number;
  accepted: number;
  unchanged: number;
  refused: number;
  /** The answers as NDJSON, one line per input line, in order (a temporary file, gone when read or closed). */
  answers: Readable;
}

/** Accepted lines handed to the ledger and the listeners at a time; answers written at a time. */
const PAGE = 5000;
/** Customer ids asked about at a time. */
const ID_BATCH = 10_000;
/** Tries of the merge transaction when the database rolls it back as a deadlock or a serialization failure. */
const MERGE_TRIES = 3;

function refusalOf(e: AppError): BulkRefusal {
  return e.details === undefined ? { code: e.code, message: e.message } : { code: e.code, message: e.message, details: e.details };
}

function bodyOf(r: StageAnswerRow | StageAcceptedRow | StageSequentialRow): InvoiceBody {
  return {
    customerNumber: r.customer_number!,
    propertyId: r.property_number!,
    kind: r.kind!,
    issueDate: r.issue_date!,
    dueDate: r.due_date!,
    amount: String(r.amount),
    currency: 'PLN',
    issuedBy: r.issued_by!,
    lines: r.lines ?? [],
    ...(r.ksef_number !== null ? { ksefNumber: r.ksef_number } : {}),
    ...(r.corrected_number !== null ? { correctedInvoiceNumber: r.corrected_number } : {}),
  };
}

/**
 * `POST /api/billing/invoices:bulk`: the upload is first received whole, each line validated and
 * spooled to a temporary file, without touching the database: a slow or stalled uploader holds no
 * connection, no transaction and no lock. Only then are the lines staged from the spool (COPY on a
 * server, multi-row INSERTs on PGlite) and merged in one transaction with a few set-based
 * statements per round, with the single feed's rules: the same checks in the same order, the same
 * refusals. A transaction the database rolls back as a deadlock or a serialization failure is run
 * again from the spool (`MERGE_TRIES` in all), then answered `503 bulk_conflict`.
 *
 * The ledger sees what it would have seen one by one: customers with credit on their account, or
 * with a negative correction in the upload, have their lines inserted one at a time with
 * `invoiceIssued` after each (allocation depends on what is owed at that moment); for every other
 * customer `invoiceIssued` would change nothing, so their lines go in as a set. The answers are
 * written to a temporary file before the commit and streamed after it: nothing is answered
 * "accepted" that was not committed.
 */
export async function issueBulk(
  deps: { db: Knex; kind: DbKind; ledger: LedgerService; listeners: readonly InvoiceIssuedListener[] },
  lines: AsyncIterable<BulkLine>,
): Promise<BulkResult> {
  // Reading the body ends here (a refusal of the whole upload, or a client gone, throws here).
  const spool = await Spool.write(stageRows(lines));
  try {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await mergeOnce(deps, spool);
      } catch (err) {
        if (!isRetryableConflict(err)) throw err;
        if (attempt >= MERGE_TRIES) {
          throw invoiceErrors.create(
            'bulk_conflict',
            `Other requests kept changing the same invoices or customers; this upload was tried ${MERGE_TRIES} times and nothing of it was stored. Send it again.`,
            undefined,
            { 'Retry-After': '1' },
          );
        }
        // A short random wait, so the two sides of a deadlock do not meet again at once.
        await sleep(randomInt(20, 100) * attempt);
      }
    }
  } finally {
    await spool.close();
  }
}

/** One try of the merge: a transaction that stages the spool, merges, notifies and writes the answers. */
async function mergeOnce(
  deps: { db: Knex; kind: DbKind; ledger: LedgerService; listeners: readonly InvoiceIssuedListener[] },
  spool: Spool,
): Promise<BulkResult> {
  const out = await openTempFile('ibok-bulk-answers');
  try {
    const counts = await deps.db.transaction(async (trx) => {
      const store = new BulkStore(trx);
      await store.createStage();
      const total = await store.load(deps.kind, spool);
      const rounds = await store.prepare();
      if (rounds > 0) {
        await store.lockMerge();
        await merge(trx, store, deps.ledger, rounds);
      }
      await notify(trx, store, deps.listeners);
      return writeAnswers(trx, store, out, total);
    });
    return { ...counts, answers: out.createReadStream({ start: 0 }) };
  } catch (err) {
    await out.close();
    throw err;
  }
}

/** The lines as staging rows (their content hashed), for the spool. */
async function* stageRows(lines: AsyncIterable<BulkLine>): AsyncGenerator<string> {
  for await (const l of lines) yield stageRow('body' in l ? { ...l, contentHash: hashContent(l.body) } : l);
}

async function merge(trx: Knex.Transaction, store: BulkStore, ledger: LedgerService, rounds: number): Promise<void> {
  const customers = await store.lockCustomers();
  const sequential = new Set(await store.customersWithNegativeLines());
  for (let i = 0; i < customers.length; i += ID_BATCH) {
    for (const id of await ledger.customersWithAvailableCredit(trx, customers.slice(i, i + ID_BATCH))) sequential.add(id);
  }
  await store.markSequential([...sequential]);
  for (let round = 1; round <= rounds; round++) {
    await store.mergeRound(round);
    await store.settleRound(round);
  }
  // Customers whose ledger allocates as each document comes: their lines exactly as one by one.
  let after = 0;
  for (;;) {
    const page = await store.sequentialPage(after, PAGE);
    if (page.length === 0) return;
    const outcomes: LineOutcome[] = [];
    for (const r of page) {
      try {
        const { created, invoice } = await issueOne(trx, ledger, r.invoice_number, bodyOf(r), r.content_hash, { savepoint: true });
        outcomes.push({ line: r.line, status: created ? 'accepted' : 'unchanged', invoiceId: invoice.id, customerId: invoice.customerId, propertyId: invoice.propertyId || undefined });
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        outcomes.push({ line: r.line, status: 'refused', refused: refusalOf(err) });
      }
    }
    await store.recordOutcomes(outcomes);
    after = page[page.length - 1]!.line;
  }
}

/** The invoice-issued listeners, a page of new documents at a time, in line order. */
async function notify(trx: Knex.Transaction, store: BulkStore, listeners: readonly InvoiceIssuedListener[]): Promise<void> {
  if (listeners.length === 0) return;
  let after = 0;
  for (;;) {
    const page = await store.acceptedPage(after, PAGE);
    if (page.length === 0) return;
    const invoices: Invoice[] = page.map((r) =>
      documentOf({ id: String(r.invoice_id), customerId: String(r.customer_id), propertyId: String(r.property_id) }, r.invoice_number, bodyOf(r), r.content_hash),
    );
    for (const listener of listeners) await listener(trx, invoices);
    after = page[page.length - 1]!.line;
  }
}

async function writeAnswers(
  trx: Knex.Transaction,
  store: BulkStore,
  out: fs.FileHandle,
  total: number,
): Promise<Omit<BulkResult, 'answers'>> {
  const counts = { lines: total, accepted: 0, unchanged: 0, refused: 0 };
  const invoices = new InvoiceStore(trx);
  let after = 0;
  for (;;) {
    const page = await store.answersPage(after, PAGE);
    if (page.length === 0) return counts;
    const changed = page.filter((r) => r.refused_code === 'document_immutable').map((r) => r.invoice_number!);
    const existing = new Map((await invoices.byNumbersOfAnyCustomer(changed)).map((i) => [i.invoiceNumber, i]));
    let text = '';
    for (const r of page) {
      counts[r.status] += 1;
      const answer: BulkAnswer = { line: r.line, invoiceNumber: r.invoice_number, status: r.status };
      if (r.status === 'refused') answer.error = refusal(r, existing);
      text += `${JSON.stringify(answer)}\n`;
    }
    await out.write(text);
    after = page[page.length - 1]!.line;
  }
}

/** The refusal of a line, worded as the single feed words it. */
function refusal(r: StageAnswerRow, existing: Map<string, Invoice>): BulkRefusal {
  if (r.refused_message !== null) {
    return { code: r.refused_code!, message: r.refused_message, ...(r.refused_details !== null ? { details: r.refused_details } : {}) };
  }
  switch (r.refused_code) {
    case 'unknown_customer':
      return refusalOf(unknownCustomer(r.customer_number!));
    case 'unknown_property':
      return refusalOf(unknownProperty(r.customer_number!, r.property_number!));
    case 'unknown_invoice':
      return refusalOf(unknownCorrected(r.customer_number!, r.corrected_number!));
    case 'ksef_number_taken':
      return refusalOf(ksefTaken(r.ksef_number!));
    case 'document_immutable': {
      const stored = existing.get(r.invoice_number!);
      if (!stored) throw new Error(`invoice ${r.invoice_number} vanished`);
      return refusalOf(immutable(stored, bodyOf(r)));
    }
    default:
      throw new Error(`bulk line ${r.line}: no wording for ${r.refused_code}`);
  }
}
