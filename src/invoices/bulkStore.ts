import type { Knex } from 'knex';
import { copyField, copyInTransaction, parseCopyRow } from '../db/copy.js';
import type { DbKind } from '../db/createDb.js';
import type { InvoiceBody, InvoiceLine } from './schema.js';
import type { Spool } from './spool.js';

/**
 * SQL of a bulk upload's staging table: one row per line of the upload (refused lines too, so the
 * answers come out of it in order), in a temporary table of the request's transaction. The
 * staging table reads `customers` and `properties` (the declared read model of the invoices
 * module) and locks the customers' rows like the single feed does.
 */
const STAGE = 'invoice_bulk_stage';

/** A line as it goes into the staging table: a valid document, or a refusal found while reading. */
export type StagedLine =
  | { line: number; invoiceNumber: string; body: InvoiceBody; contentHash: string }
  | { line: number; invoiceNumber: string | null; refused: { code: string; message: string; details?: unknown } };

export type BulkStatus = 'accepted' | 'unchanged' | 'refused';

/** A row read back for the answers: what is needed to word a refusal. */
export interface StageAnswerRow {
  line: number;
  invoice_number: string | null;
  status: BulkStatus;
  refused_code: string | null;
  refused_message: string | null;
  refused_details: unknown;
  customer_number: string | null;
  property_number: string | null;
  kind: 'invoice' | 'correction' | null;
  issue_date: string | null;
  due_date: string | null;
  amount: string | null;
  issued_by: 'office' | 'reader' | null;
  lines: InvoiceLine[] | null;
  ksef_number: string | null;
  corrected_number: string | null;
}

/** A line of a customer merged one by one. */
export interface StageSequentialRow {
  line: number;
  invoice_number: string;
  customer_number: string;
  property_number: string;
  kind: 'invoice' | 'correction';
  issue_date: string;
  due_date: string;
  amount: string;
  issued_by: 'office' | 'reader';
  lines: InvoiceLine[];
  ksef_number: string | null;
  corrected_number: string | null;
  content_hash: string;
}

export interface LineOutcome {
  line: number;
  status: BulkStatus;
  refused?: { code: string; message: string; details?: unknown };
  invoiceId?: string;
  customerId?: string;
  propertyId?: string;
}

/** An accepted row, for the ledger and the invoice-issued listeners. */
export interface StageAcceptedRow extends StageSequentialRow {
  invoice_id: string | number;
  customer_id: string | number;
  property_id: string | number;
}

const COLUMNS = [
  'line',
  'invoice_number',
  'customer_number',
  'property_number',
  'kind',
  'issue_date',
  'due_date',
  'amount',
  'issued_by',
  'lines',
  'ksef_number',
  'corrected_number',
  'content_hash',
  'status',
  'refused_code',
  'refused_message',
  'refused_details',
] as const;

function values(l: StagedLine): (string | number | null)[] {
  if ('refused' in l) {
    return [
      l.line, l.invoiceNumber, null, null, null, null, null, null, null, null, null, null, null,
      'refused', l.refused.code, l.refused.message, l.refused.details === undefined ? null : JSON.stringify(l.refused.details),
    ];
  }
  const b = l.body;
  return [
    l.line, l.invoiceNumber, b.customerNumber, b.propertyId, b.kind, b.issueDate, b.dueDate, b.amount, b.issuedBy,
    JSON.stringify(b.lines), b.ksefNumber ?? null, b.correctedInvoiceNumber ?? null, l.contentHash, null, null, null, null,
  ];
}

/** A line as a row of the staging table in COPY's text format (without its newline): what is spooled. */
export function stageRow(l: StagedLine): string {
  return values(l).map(copyField).join('\t');
}

const INSERT_BATCH = 500;

/**
 * Bulk uploads merge one at a time: two of them naming the same invoice or KSeF numbers under
 * different customers would otherwise wait for each other's inserts in a circle (a deadlock),
 * which the customers' locks alone do not prevent. Taken once the lines are staged.
 */
const MERGE_LOCK_KEY = 94_010_001;

export class BulkStore {
  constructor(private readonly trx: Knex.Transaction) {}

  async createStage(): Promise<void> {
    // The merge sorts a round's lines (with their content) by line: in memory, not on disk.
    await this.trx.raw(`SET LOCAL work_mem = '64MB'`);
    await this.trx.raw(
      `CREATE TEMP TABLE ${STAGE} (
         line integer NOT NULL, invoice_number text, customer_number text, property_number text, kind text,
         issue_date date, due_date date, amount numeric(14,2), issued_by text, lines jsonb, ksef_number text,
         corrected_number text, content_hash text, status text, refused_code text, refused_message text, refused_details jsonb,
         round integer NOT NULL DEFAULT 1, sequential boolean NOT NULL DEFAULT false,
         customer_id bigint, property_id bigint, existing_id bigint, existing_hash text, corrected_id bigint, invoice_id bigint
       ) ON COMMIT DROP`,
    );
  }

  /** Loads the spooled rows (`stageRow`'s): COPY on a server, multi-row INSERTs on PGlite. Answers the count. */
  async load(kind: DbKind, spool: Spool): Promise<number> {
    if (kind === 'server') {
      return copyInTransaction(this.trx, `COPY ${STAGE} (${COLUMNS.join(', ')}) FROM STDIN`, spool.chunks());
    }
    let batch: Record<string, string | null>[] = [];
    let count = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      await this.trx(STAGE).insert(batch);
      count += batch.length;
      batch = [];
    };
    for await (const row of spool.lines()) {
      const v = parseCopyRow(row);
      batch.push(Object.fromEntries(COLUMNS.map((c, i) => [c, v[i] ?? null])));
      if (batch.length >= INSERT_BATCH) await flush();
    }
    await flush();
    return count;
  }

  /** Waits until no other bulk upload is merging, then holds that until this transaction ends. */
  async lockMerge(): Promise<void> {
    await this.trx.raw('SELECT pg_advisory_xact_lock(?)', [MERGE_LOCK_KEY]);
  }

  /**
   * Indexes and statistics for the merge, then each valid line's round: the n-th line of one
   * number goes in round n (so a round holds a number once), and a correction of a number sent on
   * an earlier line goes in a later round than that line, so it is merged after it, as one by one.
   */
  async prepare(): Promise<number> {
    await this.trx.raw(`ALTER TABLE ${STAGE} ADD PRIMARY KEY (line)`);
    await this.trx.raw(`CREATE INDEX ON ${STAGE} (invoice_number)`);
    await this.trx.raw(`ANALYZE ${STAGE}`);
    await this.trx.raw(
      `UPDATE ${STAGE} s SET round = o.n
         FROM (SELECT line, row_number() OVER (PARTITION BY invoice_number ORDER BY line) AS n FROM ${STAGE} WHERE status IS NULL) o
        WHERE o.line = s.line AND o.n > 1`,
    );
    const corrections = await this.trx.raw<{ rows: { n: string | number }[] }>(
      `SELECT count(*) AS n FROM ${STAGE} s WHERE s.status IS NULL AND s.corrected_number IS NOT NULL
          AND EXISTS (SELECT 1 FROM ${STAGE} t WHERE t.invoice_number = s.corrected_number AND t.line < s.line AND t.status IS NULL)`,
    );
    if (Number(corrections.rows[0]!.n) > 0) {
      // Rare (a correction in the same upload as what it corrects): push rounds until both rules hold.
      for (;;) {
        const later = await this.trx.raw<{ rowCount: number }>(
          `UPDATE ${STAGE} s SET round = t.round + 1 FROM ${STAGE} t
            WHERE s.status IS NULL AND t.status IS NULL AND t.line < s.line AND t.round >= s.round
              AND (t.invoice_number = s.invoice_number OR t.invoice_number = s.corrected_number)`,
        );
        if (later.rowCount === 0) break;
      }
    }
    const max = await this.trx.raw<{ rows: { r: number | null }[] }>(`SELECT max(round) AS r FROM ${STAGE} WHERE status IS NULL`);
    return Number(max.rows[0]!.r ?? 0);
  }

  /**
   * Locks the rows of every customer the valid lines name, in id order (two uploads never wait for
   * each other in a circle), and notes each line's customer. Answers the customers' ids.
   */
  async lockCustomers(): Promise<string[]> {
    const { rows } = await this.trx.raw<{ rows: { id: string | number }[] }>(
      `SELECT c.id FROM customers c WHERE c.customer_number IN (SELECT customer_number FROM ${STAGE} WHERE status IS NULL)
        ORDER BY c.id FOR UPDATE`,
    );
    await this.trx.raw(
      `UPDATE ${STAGE} s SET customer_id = c.id FROM customers c WHERE s.status IS NULL AND c.customer_number = s.customer_number`,
    );
    return rows.map((r) => String(r.id));
  }

  /** Customers with a credit-making line (a negative correction). */
  async customersWithNegativeLines(): Promise<string[]> {
    const { rows } = await this.trx.raw<{ rows: { customer_id: string | number }[] }>(
      `SELECT DISTINCT customer_id FROM ${STAGE} WHERE status IS NULL AND customer_id IS NOT NULL AND amount < 0`,
    );
    return rows.map((r) => String(r.customer_id));
  }

  /** These customers' lines are merged one by one (their ledger allocates as each comes). */
  async markSequential(customerIds: string[]): Promise<void> {
    if (customerIds.length === 0) return;
    await this.trx.raw(`UPDATE ${STAGE} SET sequential = true WHERE customer_id = ANY(?::bigint[])`, [customerIds]);
  }

  /**
   * Merges a round of the lines merged as a set, in one statement: each line checked in the
   * single feed's order (customer, number already issued: same content unchanged, other refused;
   * property, corrected invoice, KSeF number taken or on an earlier line of the round), the rest
   * inserted in line order, and every line's outcome noted. A line whose insert meets a number or
   * KSeF number stored meanwhile is left for `settleRound`.
   */
  async mergeRound(round: number): Promise<void> {
    await this.trx.raw(
      `WITH d AS (
         SELECT s.*, e.id AS e_id, e.content_hash AS e_hash, p.id AS p_id, k.id AS k_id,
                CASE
                  WHEN s.customer_id IS NULL THEN 'unknown_customer'
                  WHEN e.id IS NOT NULL THEN CASE WHEN e.content_hash = s.content_hash THEN NULL ELSE 'document_immutable' END
                  WHEN p.id IS NULL THEN 'unknown_property'
                  WHEN s.corrected_number IS NOT NULL AND k.id IS NULL THEN 'unknown_invoice'
                  WHEN s.ksef_number IS NOT NULL AND EXISTS (SELECT 1 FROM invoices x WHERE x.ksef_number = s.ksef_number) THEN 'ksef_number_taken'
                END AS code
           FROM ${STAGE} s
           LEFT JOIN invoices e ON e.invoice_number = s.invoice_number
           LEFT JOIN properties p ON p.property_number = s.property_number AND p.customer_id = s.customer_id
           LEFT JOIN invoices k ON k.invoice_number = s.corrected_number AND k.customer_id = s.customer_id
          WHERE s.round = ? AND s.status IS NULL AND NOT s.sequential),
       dup AS (
         SELECT line FROM (
           SELECT line, row_number() OVER (PARTITION BY ksef_number ORDER BY line) AS n
             FROM d WHERE code IS NULL AND e_id IS NULL AND ksef_number IS NOT NULL) x
          WHERE n > 1),
       ins AS (
         INSERT INTO invoices (invoice_number, customer_id, property_id, kind, issue_date, due_date, amount, currency, issued_by, lines,
                               ksef_number, corrected_invoice_id, content_hash)
         SELECT invoice_number, customer_id, p_id, kind, issue_date, due_date, amount, 'PLN', issued_by, lines, ksef_number, k_id, content_hash
           FROM d WHERE code IS NULL AND e_id IS NULL AND line NOT IN (SELECT line FROM dup) ORDER BY line
         ON CONFLICT DO NOTHING
         RETURNING id, invoice_number)
       UPDATE ${STAGE} s
          SET existing_id = d.e_id, existing_hash = d.e_hash, property_id = d.p_id, corrected_id = d.k_id, invoice_id = ins.id,
              refused_code = CASE WHEN dup.line IS NOT NULL THEN 'ksef_number_taken' ELSE d.code END,
              status = CASE
                WHEN ins.id IS NOT NULL THEN 'accepted'
                WHEN d.code IS NOT NULL OR dup.line IS NOT NULL THEN 'refused'
                WHEN d.e_id IS NOT NULL THEN 'unchanged'
              END
         FROM d LEFT JOIN ins ON ins.invoice_number = d.invoice_number LEFT JOIN dup ON dup.line = d.line
        WHERE s.line = d.line`,
      [round],
    );
  }

  /** Lines of customers merged one by one, after `afterLine`, in line order, with their content. */
  async sequentialPage(afterLine: number, limit: number): Promise<StageSequentialRow[]> {
    const { rows } = await this.trx.raw<{ rows: StageSequentialRow[] }>(
      `SELECT line, invoice_number, customer_number, property_number, kind, issue_date, due_date, amount, issued_by, lines,
              ksef_number, corrected_number, content_hash
         FROM ${STAGE} WHERE sequential AND status IS NULL AND line > ? ORDER BY line LIMIT ?`,
      [afterLine, limit],
    );
    return rows;
  }

  /** Records how lines merged one by one came out (a refusal with its wording). */
  async recordOutcomes(outcomes: LineOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    await this.trx.raw(
      `UPDATE ${STAGE} s SET status = v.status, refused_code = v.code, refused_message = v.message, refused_details = v.details::jsonb,
              invoice_id = v.invoice_id, customer_id = v.customer_id, property_id = v.property_id
         FROM unnest(?::int[], ?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[])
              AS v(line, status, code, message, details, invoice_id, customer_id, property_id)
        WHERE s.line = v.line`,
      [
        outcomes.map((o) => o.line),
        outcomes.map((o) => o.status),
        outcomes.map((o) => o.refused?.code ?? null),
        outcomes.map((o) => o.refused?.message ?? null),
        outcomes.map((o) => (o.refused?.details === undefined ? null : JSON.stringify(o.refused.details))),
        outcomes.map((o) => o.invoiceId ?? null),
        outcomes.map((o) => o.customerId ?? null),
        outcomes.map((o) => o.propertyId ?? null),
      ] as unknown as Knex.RawBinding[],
    );
  }

  /**
   * Lines whose insert met a number or KSeF number stored meanwhile (a concurrent request): the
   * same content is unchanged, another is refused, as the single feed answers.
   */
  async settleRound(round: number): Promise<void> {
    await this.trx.raw(
      `UPDATE ${STAGE} s SET existing_id = i.id, existing_hash = i.content_hash,
              status = CASE WHEN i.content_hash = s.content_hash THEN 'unchanged' ELSE 'refused' END,
              refused_code = CASE WHEN i.content_hash = s.content_hash THEN NULL ELSE 'document_immutable' END
         FROM invoices i WHERE s.round = ? AND s.status IS NULL AND NOT s.sequential AND i.invoice_number = s.invoice_number`,
      [round],
    );
    await this.trx.raw(`UPDATE ${STAGE} SET status = 'refused', refused_code = 'ksef_number_taken' WHERE round = ? AND status IS NULL AND NOT sequential`, [round]);
  }

  /** Accepted lines after `afterLine`, in line order (non-sequential customers only when asked). */
  async acceptedPage(afterLine: number, limit: number): Promise<StageAcceptedRow[]> {
    const { rows } = await this.trx.raw<{ rows: StageAcceptedRow[] }>(
      `SELECT line, invoice_id, invoice_number, customer_id, property_id, customer_number, property_number, kind, issue_date, due_date,
              amount, issued_by, lines, ksef_number, corrected_number, content_hash
         FROM ${STAGE} WHERE status = 'accepted' AND line > ? ORDER BY line LIMIT ?`,
      [afterLine, limit],
    );
    return rows;
  }

  /** Every line after `afterLine` with what words its refusal, in line order. */
  async answersPage(afterLine: number, limit: number): Promise<StageAnswerRow[]> {
    const { rows } = await this.trx.raw<{ rows: StageAnswerRow[] }>(
      `SELECT line, invoice_number, status, refused_code, refused_message, refused_details, customer_number, property_number,
              kind, issue_date, due_date, amount, issued_by, ksef_number, corrected_number,
              CASE WHEN refused_code = 'document_immutable' THEN lines END AS lines
         FROM ${STAGE} WHERE line > ? ORDER BY line LIMIT ?`,
      [afterLine, limit],
    );
    return rows;
  }
}
