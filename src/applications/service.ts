import { randomUUID } from 'node:crypto';
import { Decimal } from 'decimal.js';
import type { Knex } from 'knex';
import { addDays, warsawDate, type Clock } from '../clock.js';
import type { CustomersService } from '../customers/index.js';
import { commonErrors } from '../errors.js';
import type { InvoicesService } from '../invoices/index.js';
import { enqueueEmail, polishDate } from '../notices/index.js';
import { applicationErrors } from './errors.js';
import {
  APPLICATION_DUE_DAYS,
  APPLICATIONS_PER_HOUR,
  applicationBody,
  type ApplicationInput,
  type ApplicationStatus,
} from './schema.js';
import { ApplicationStore, type ApplicationRecord } from './store.js';

/** The one answer to every accepted application, matching or not (nobody can probe customer numbers). */
export const APPLICATION_RECEIVED =
  'Thank you. If the details match our records, the customer office will e-mail a login and a one-time password within 14 days.';

/** How the office's decision creates the login (auth's createCustomerLogin, in our transaction). */
export type CreateCustomerLogin = (
  trx: Knex.Transaction,
  input: { customerNumber: string; email: string },
) => Promise<{ login: string; oneTimePassword: string }>;

export interface ApplicationView extends ApplicationRecord {
  overdue: boolean;
}

const HOUR_MS = 3_600_000;
/** Looked up when the customer number is unknown, so both paths run the same queries. */
const NO_CUSTOMER = '0';

/** Online applications for an IBOK login and the office's decisions on them. */
export class ApplicationService {
  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
    private readonly deps: {
      customers: CustomersService;
      invoices: InvoicesService;
      createCustomerLogin: CreateCustomerLogin;
      senderName: string;
    },
  ) {}

  /**
   * Takes an application. Matching (the number and amount of one of the customer's invoices) or
   * not, the same queries run and the same answer comes back; the outcome is only in the database:
   * `pending` for the office, or `unmatched` for its statistics. Over the hourly limit of the
   * client address → 429 with Retry-After.
   */
  async submit(input: ApplicationInput, clientAddress: string): Promise<{ message: string }> {
    // The web form hands its own parse over; check again here so every caller gets the same rules.
    const parsed = applicationBody.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.map(String).join('.') || '(body)';
      throw commonErrors.create('validation_failed', `Invalid request body: ${field} ${issue.message}.`, [{ field, message: issue.message }]);
    }
    const a = parsed.data;
    const now = this.clock.now();
    await this.db.transaction(async (trx) => {
      const store = new ApplicationStore(trx);
      await store.lockAddress(clientAddress);
      const recent = await store.recentFrom(clientAddress, new Date(now.getTime() - HOUR_MS));
      if (recent.count >= APPLICATIONS_PER_HOUR) {
        const freeAt = (recent.oldest?.getTime() ?? now.getTime()) + HOUR_MS;
        const seconds = Math.max(1, Math.ceil((freeAt - now.getTime()) / 1000));
        throw commonErrors.create(
          'too_many_requests',
          `At most ${APPLICATIONS_PER_HOUR} applications an hour from one address; try again in ${Math.ceil(seconds / 60)} minutes.`,
          { retryAfterSeconds: seconds },
          { 'Retry-After': String(seconds) },
        );
      }
      const customer = await this.deps.customers.findByNumber(trx, a.customerNumber);
      const invoices = await this.deps.invoices.invoicesByNumbers(trx, customer?.id ?? NO_CUSTOMER, [a.invoiceNumber]);
      const matches = !!customer && invoices.some((inv) => new Decimal(inv.amount).equals(a.invoiceAmount));
      await store.insert({
        id: randomUUID(),
        status: matches ? 'pending' : 'unmatched',
        customerNumber: a.customerNumber,
        customerId: customer?.id ?? null,
        name: a.name,
        email: a.email.toLowerCase(),
        phone: a.phone ?? null,
        invoiceNumber: a.invoiceNumber,
        invoiceAmount: a.invoiceAmount,
        clientAddress,
        now,
        dueBy: addDays(warsawDate(now), APPLICATION_DUE_DAYS),
      });
    });
    return { message: APPLICATION_RECEIVED };
  }

  private view(r: ApplicationRecord, today = warsawDate(this.clock.now())): ApplicationView {
    return { ...r, overdue: r.status === 'pending' && r.dueBy < today };
  }

  /** The office's list, newest first; `unmatched` ones only when asked for by status. */
  async list(
    filter: { status?: ApplicationStatus | undefined },
    page: { limit?: number | undefined; cursor?: string | undefined } = {},
  ): Promise<{ items: ApplicationView[]; nextCursor: string | null }> {
    const limit = page.limit ?? 50;
    const beforeSeq = page.cursor && /^\d{1,18}$/.test(page.cursor) ? page.cursor : undefined;
    if (page.cursor && !beforeSeq) return { items: [], nextCursor: null };
    const rows = await new ApplicationStore(this.db).list(
      { ...(filter.status ? { status: filter.status } : {}), ...(beforeSeq ? { beforeSeq } : {}) },
      limit + 1,
    );
    const today = warsawDate(this.clock.now());
    const items = rows.slice(0, limit).map((r) => this.view(r, today));
    return { items, nextCursor: rows.length > limit ? items.at(-1)!.seq : null };
  }

  async get(id: string): Promise<ApplicationView | undefined> {
    const r = await new ApplicationStore(this.db).byId(id);
    return r ? this.view(r) : undefined;
  }

  /**
   * Approves a pending application: the login is created (and its one-time password e-mailed
   * through the outbox) in the same transaction that records the decision. A customer who already
   * has a login → 409 account_exists, and nothing changes.
   */
  async approve(staff: { login: string }, id: string): Promise<ApplicationView> {
    await this.db.transaction(async (trx) => {
      const store = new ApplicationStore(trx);
      const a = await this.pending(store, id);
      const { login } = await this.deps.createCustomerLogin(trx, { customerNumber: a.customerNumber, email: a.email });
      await store.decide(id, { status: 'approved', by: staff.login, at: this.clock.now(), login });
    });
    return (await this.get(id))!;
  }

  /** Rejects a pending application; the applicant gets the reason by e-mail (in Polish). */
  async reject(staff: { login: string }, id: string, reason: string): Promise<ApplicationView> {
    await this.db.transaction(async (trx) => {
      const store = new ApplicationStore(trx);
      const a = await this.pending(store, id);
      await store.decide(id, { status: 'rejected', by: staff.login, at: this.clock.now(), reason });
      await enqueueEmail(trx, {
        to: a.email,
        template: 'account_application_rejected',
        subject: 'Wniosek o dostęp do Internetowego Biura Obsługi Klienta',
        body:
          'Dzień dobry,\n\n' +
          `rozpatrzyliśmy wniosek o dostęp do Internetowego Biura Obsługi Klienta złożony ${polishDate(warsawDate(a.createdAt))} ` +
          `dla klienta nr ${a.customerNumber}. Niestety nie możemy go przyjąć.\n\n` +
          `Powód: ${reason}\n\n` +
          'W razie pytań prosimy o kontakt z Biurem Obsługi Klienta.\n\n' +
          `Z poważaniem\n${this.deps.senderName}\n`,
      });
    });
    return (await this.get(id))!;
  }

  private async pending(store: ApplicationStore, id: string): Promise<ApplicationRecord> {
    const a = await store.byId(id, true);
    if (!a) throw applicationErrors.create('application_not_found', 'No account application with this id.');
    if (a.status === 'unmatched') {
      throw applicationErrors.create('application_unmatched', 'This application did not match the customer\'s invoices; it cannot be decided.');
    }
    if (a.status !== 'pending') {
      throw applicationErrors.create('application_already_decided', `This application was already ${a.status}${a.decidedBy ? ` by ${a.decidedBy}` : ''}.`);
    }
    return a;
  }
}
