/**
 * Daily settlement reports of the mock (SPEC 3.5). A report is generated into a temporary file
 * while its detached signature is computed over the same bytes, then served from the file, so a
 * million-row report never sits in memory. Builds are cached until something changes.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import { JwsType } from '../../src/gateway/jws.js';
import { DetachedJwsSigner } from './signing.js';
import { isCompletedStatus } from '../../src/gateway/status.js';
import { MockHttpError } from './http.js';
import type { MockTransaction, ReportRow, ReportRowInput, ReportRowSource } from './types.js';

export const REPORT_HEADER = 'paymentId,id_trans,amount,currency,paid_at,settlement_date';

interface DateControls {
  extra: ReportRow[];
  patches: Map<string, Partial<Omit<ReportRow, 'paymentId'>>>;
  excluded: Set<string>;
  tampered: boolean;
  source: ReportRowSource | null;
}

export interface ReportBuild {
  file: string;
  /** Detached JWS `header..signature` over the file's bytes. */
  signature: string;
  size: number;
  rows: number;
}

export interface SettlementReportsDeps {
  signingKey: () => { kid: string; privateKey: KeyObject };
  transactions: () => Iterable<MockTransaction>;
  findTransaction: (paymentId: string) => MockTransaction | undefined;
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function csvLine(row: ReportRow): string {
  return `${[row.paymentId, row.id_trans, row.amount, row.currency, row.paid_at, row.settlement_date].map(csvField).join(',')}\n`;
}

export class SettlementReports {
  private readonly controls = new Map<string, DateControls>();
  private readonly cache = new Map<string, { version: string; build: Promise<ReportBuild> }>();
  /** Bumped by changes that touch every report (key rotation, reset). */
  private globalVersion = 0;
  /** Bumped by changes to one date's report, so a big report of another date stays cached. */
  private readonly dateVersions = new Map<string, number>();
  private dir: Promise<string> | undefined;
  private closed = false;
  private fileCounter = 0;

  constructor(private readonly deps: SettlementReportsDeps) {}

  /** Something the report of `date` (or, without a date, of every date) shows changed. */
  touch(date?: string): void {
    if (date === undefined) this.globalVersion += 1;
    else this.dateVersions.set(date, (this.dateVersions.get(date) ?? 0) + 1);
  }

  private versionOf(date: string): string {
    return `${this.globalVersion}:${this.dateVersions.get(date) ?? 0}`;
  }

  private controlsOf(date: string): DateControls {
    let c = this.controls.get(date);
    if (!c) {
      c = { extra: [], patches: new Map(), excluded: new Set(), tampered: false, source: null };
      this.controls.set(date, c);
    }
    return c;
  }

  addRows(date: string, rows: ReportRowInput[]): void {
    const filled = rows.map((row) => this.fillRow(date, row));
    this.controlsOf(date).extra.push(...filled);
    this.touch(date);
  }

  patchRow(date: string, paymentId: string, patch: Partial<Omit<ReportRow, 'paymentId'>>): void {
    const patches = this.controlsOf(date).patches;
    patches.set(paymentId, { ...patches.get(paymentId), ...patch });
    this.touch(date);
  }

  exclude(date: string, paymentId: string): void {
    this.controlsOf(date).excluded.add(paymentId);
    this.touch(date);
  }

  setTampered(date: string, tampered: boolean): void {
    this.controlsOf(date).tampered = tampered;
  }

  isTampered(date: string): boolean {
    return this.controls.get(date)?.tampered ?? false;
  }

  setSource(date: string, source: ReportRowSource | null): void {
    this.controlsOf(date).source = source;
    this.touch(date);
  }

  clear(date: string): void {
    this.controls.delete(date);
    this.touch(date);
  }

  reset(): void {
    this.controls.clear();
    this.touch();
  }

  private fillRow(date: string, input: ReportRowInput): ReportRow {
    const tx = this.deps.findTransaction(input.paymentId);
    const idTrans = input.id_trans ?? tx?.idTrans;
    const amount = input.amount ?? tx?.amount;
    if (idTrans === undefined || amount === undefined) {
      throw new MockHttpError(400, 'invalid_request', `row ${input.paymentId}: id_trans and amount are needed for an unknown paymentId`);
    }
    const paidAt = input.paid_at instanceof Date ? input.paid_at.toISOString() : (input.paid_at ?? tx?.paidAt?.toISOString() ?? `${date}T08:00:00.000Z`);
    return {
      paymentId: input.paymentId,
      id_trans: idTrans,
      amount,
      currency: input.currency ?? tx?.currency ?? 'PLN',
      paid_at: paidAt,
      settlement_date: input.settlement_date ?? date,
    };
  }

  /** The report of `date` for one merchant: built or taken from the cache. */
  build(date: string, merchantId: string): Promise<ReportBuild> {
    const key = `${date}|${merchantId}`;
    const cached = this.cache.get(key);
    const version = this.versionOf(date);
    if (cached && cached.version === version) return cached.build;
    const build = this.generate(date, merchantId);
    this.cache.set(key, { version, build });
    build.catch(() => this.cache.delete(key));
    if (cached) {
      void cached.build.then((old) => unlink(old.file)).catch(() => undefined);
    }
    return build;
  }

  private async *rows(date: string, merchantId: string): AsyncGenerator<ReportRow> {
    const c = this.controls.get(date);
    const completed = [...this.deps.transactions()]
      .filter((tx) => tx.merchantId === merchantId && isCompletedStatus(tx.status) && tx.settlementDate === date && tx.paidAt)
      .filter((tx) => !c?.excluded.has(tx.paymentId))
      .sort((a, b) => a.paidAt!.getTime() - b.paidAt!.getTime() || a.paymentId.localeCompare(b.paymentId));
    for (const tx of completed) {
      yield {
        paymentId: tx.paymentId,
        id_trans: tx.idTrans,
        amount: tx.amount,
        currency: tx.currency,
        paid_at: tx.paidAt!.toISOString(),
        settlement_date: date,
        ...c?.patches.get(tx.paymentId),
      };
    }
    if (c) {
      yield* c.extra;
      if (c.source) yield* c.source();
    }
  }

  private async generate(date: string, merchantId: string): Promise<ReportBuild> {
    if (this.closed) throw new Error('the mock gateway is closed');
    this.dir ??= mkdtemp(path.join(os.tmpdir(), 'mock-paybynet-'));
    this.fileCounter += 1;
    const file = path.join(await this.dir, `settlement-${date}-${this.fileCounter}.csv`);
    const key = this.deps.signingKey();
    const signer = new DetachedJwsSigner({ kid: key.kid, typ: JwsType.settlement });
    const out = createWriteStream(file);
    let size = 0;
    let rows = 0;
    const write = async (text: string) => {
      const bytes = Buffer.from(text, 'utf8');
      signer.update(bytes);
      size += bytes.length;
      if (!out.write(bytes)) await once(out, 'drain');
    };
    try {
      let pending = `${REPORT_HEADER}\n`;
      for await (const row of this.rows(date, merchantId)) {
        pending += csvLine(row);
        rows += 1;
        if (pending.length >= 64 * 1024) {
          await write(pending);
          pending = '';
        }
      }
      await write(pending);
      out.end();
      await once(out, 'finish');
    } catch (err) {
      out.destroy();
      await unlink(file).catch(() => undefined);
      throw err;
    }
    return { file, signature: signer.sign(key.privateKey), size, rows };
  }

  async close(): Promise<void> {
    this.closed = true;
    const builds = [...this.cache.values()].map((c) => c.build.catch(() => undefined));
    this.cache.clear();
    await Promise.all(builds);
    if (this.dir) await rm(await this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}
