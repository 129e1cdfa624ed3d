import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import type { CustomersService } from '../customers/index.js';
import type { DocumentService, OpenedFile } from '../documents/index.js';
import { contractErrors } from './errors.js';
import type { ContractBody } from './schema.js';
import { ContractStore, type Contract } from './store.js';

export interface FeedContractResult {
  created: boolean;
  changed: boolean;
  contract: Contract;
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === '23505';
}

/** One canonical form of a body, so that the same contract sent again hashes the same. */
function canonical(body: ContractBody): ContractBody {
  return {
    customerNumber: body.customerNumber,
    propertyId: body.propertyId,
    service: body.service,
    signedOn: body.signedOn,
    validFrom: body.validFrom,
    validTo: body.validTo ?? null,
    status: body.status,
    tariff: { code: body.tariff.code, name: body.tariff.name },
    scanDocumentId: body.scanDocumentId ?? null,
  };
}

const missing = (field: string, message: string) =>
  contractErrors.create('reference_not_found', message, [{ field, message: 'not fed yet' }]);

/** Contracts from the billing feed, and the customer's view of theirs with the signed scan. */
export class ContractService {
  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
    private readonly customers: CustomersService,
    private readonly documents: DocumentService,
  ) {}

  /** The latest body wins; each change is kept in the history; the same body again changes nothing. */
  async feed(contractNumber: string, input: ContractBody): Promise<FeedContractResult> {
    const body = canonical(input);
    const contentHash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    const attempt = () =>
      this.db.transaction(async (trx) => {
        const store = new ContractStore(trx);
        const customer = await this.customers.requireCustomer(trx, body.customerNumber, { field: 'customerNumber' });
        const property = await this.customers.requireProperty(trx, customer, body.propertyId, 'propertyId');
        const customerId = customer.id;
        if (body.scanDocumentId) {
          const scan = await this.documents.findByNumber(trx, body.scanDocumentId);
          if (!scan) throw missing('scanDocumentId', `No document ${body.scanDocumentId}; send the scan as a document first.`);
          if (scan.customerId !== null && scan.customerId !== customerId) {
            throw contractErrors.create(
              'reference_not_found',
              `Document ${body.scanDocumentId} belongs to another customer, not ${body.customerNumber}.`,
              [{ field: 'scanDocumentId', message: "another customer's document" }],
            );
          }
        }
        const existing = await store.byNumber(contractNumber, true);
        if (existing && existing.contentHash === contentHash) return { created: false, changed: false, contract: existing };
        const write = { customerId, propertyId: property.id, body, contentHash };
        const now = this.clock.now();
        if (existing) await store.update(existing.id, existing.version + 1, write, now);
        else await store.insert(contractNumber, write, now);
        return { created: !existing, changed: true, contract: (await store.byNumber(contractNumber))! };
      });
    try {
      return await attempt();
    } catch (err) {
      if (isUniqueViolation(err)) return attempt(); // two first deliveries at once
      throw err;
    }
  }

  /** Every body that changed the contract, oldest first. */
  history(contractNumber: string) {
    return new ContractStore(this.db).history(contractNumber);
  }

  /** The customer's contracts, active first, then the newest (for /api/me, pages and the API). */
  contractsOfCustomer(customerId: string): Promise<Contract[]> {
    return new ContractStore(this.db).ofCustomer(customerId);
  }

  /** The customer's contracts by property number (for `GET /api/me`, which lists them under each property). */
  async contractsByProperty(customerId: string): Promise<Map<string, Contract[]>> {
    const byProperty = new Map<string, Contract[]>();
    for (const c of await this.contractsOfCustomer(customerId)) {
      byProperty.set(c.propertyNumber, [...(byProperty.get(c.propertyNumber) ?? []), c]);
    }
    return byProperty;
  }

  /** One of the customer's contracts; another customer's answers 404 like a missing one. */
  async contractOfCustomer(customerId: string, contractNumber: string): Promise<Contract> {
    const contract = await new ContractStore(this.db).ofCustomerByNumber(customerId, contractNumber);
    if (!contract) throw contractErrors.create('contract_not_found', `No contract ${contractNumber} on your account.`);
    return contract;
  }

  /** The signed scan of the customer's contract, ready to stream (404 when the contract has none). */
  async scanOfCustomer(customerId: string, contractNumber: string): Promise<{ contract: Contract; file: OpenedFile; fileName: string }> {
    const contract = await this.contractOfCustomer(customerId, contractNumber);
    const scan = contract.scanDocumentNumber ? await this.documents.openByNumber(contract.scanDocumentNumber) : undefined;
    // A document later fed for another customer is no longer this contract's scan to show.
    const visible = scan && (scan.document.customerId === null || scan.document.customerId === customerId);
    if (!scan || !visible) throw contractErrors.create('contract_scan_not_found', `Contract ${contractNumber} has no signed scan.`);
    return { contract, file: scan.file, fileName: `Umowa ${contract.contractNumber}` };
  }
}
