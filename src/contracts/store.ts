import type { Queryable } from '../db/createDb.js';
import type { ContractBody } from './schema.js';

export interface Contract {
  id: string;
  contractNumber: string;
  customerId: string;
  customerNumber: string;
  propertyId: string;
  propertyNumber: string;
  propertyAddress: { street: string; postalCode: string; city: string };
  service: ContractBody['service'];
  signedOn: string;
  validFrom: string;
  validTo: string | null;
  status: ContractBody['status'];
  tariff: { code: string; name: string };
  scanDocumentNumber: string | null;
  contentHash: string;
  version: number;
  updatedAt: Date;
}

/** A row of `contracts` joined with its customer's and property's numbers and the property's address. */
interface ContractRow {
  id: string | number;
  contract_number: string;
  customer_id: string | number;
  customer_number: string;
  property_id: string | number;
  property_number: string;
  p_street: string;
  p_postal_code: string;
  p_city: string;
  service: ContractBody['service'];
  signed_on: string;
  valid_from: string;
  valid_to: string | null;
  status: ContractBody['status'];
  tariff_code: string;
  tariff_name: string;
  scan_document_number: string | null;
  content_hash: string;
  version: number;
  updated_at: Date | string;
}

const mapRow = (r: ContractRow): Contract => ({
  id: String(r.id),
  contractNumber: r.contract_number,
  customerId: String(r.customer_id),
  customerNumber: r.customer_number,
  propertyId: String(r.property_id),
  propertyNumber: r.property_number,
  propertyAddress: { street: r.p_street, postalCode: r.p_postal_code, city: r.p_city },
  service: r.service,
  signedOn: r.signed_on,
  validFrom: r.valid_from,
  validTo: r.valid_to,
  status: r.status,
  tariff: { code: r.tariff_code, name: r.tariff_name },
  scanDocumentNumber: r.scan_document_number,
  contentHash: r.content_hash,
  version: Number(r.version),
  updatedAt: new Date(r.updated_at),
});

export interface ContractWrite {
  customerId: string;
  propertyId: string;
  body: ContractBody;
  contentHash: string;
}

export class ContractStore {
  constructor(private readonly db: Queryable) {}

  private base() {
    // Read model: customers and properties (numbers and the property's address) belong to the billing feed.
    return this.db('contracts as k')
      .join('customers as c', 'c.id', 'k.customer_id')
      .join('properties as p', 'p.id', 'k.property_id')
      .select('k.*', 'c.customer_number', 'p.property_number', 'p.street as p_street', 'p.postal_code as p_postal_code', 'p.city as p_city');
  }

  async byNumber(contractNumber: string, forUpdate = false): Promise<Contract | undefined> {
    const q = this.base().where('k.contract_number', contractNumber).first();
    const row = (await (forUpdate ? q.forUpdate('k') : q)) as ContractRow | undefined;
    return row ? mapRow(row) : undefined;
  }

  private values(w: ContractWrite) {
    return {
      customer_id: w.customerId,
      property_id: w.propertyId,
      service: w.body.service,
      signed_on: w.body.signedOn,
      valid_from: w.body.validFrom,
      valid_to: w.body.validTo ?? null,
      status: w.body.status,
      tariff_code: w.body.tariff.code,
      tariff_name: w.body.tariff.name,
      scan_document_number: w.body.scanDocumentId ?? null,
      content_hash: w.contentHash,
    };
  }

  async insert(contractNumber: string, w: ContractWrite, at: Date): Promise<void> {
    const [row] = await this.db('contracts')
      .insert({ contract_number: contractNumber, ...this.values(w), version: 1, created_at: at, updated_at: at })
      .returning<Array<{ id: string | number }>>('id');
    await this.db('contract_history').insert({ contract_id: row!.id, version: 1, body: JSON.stringify(w.body), changed_at: at });
  }

  async update(id: string, version: number, w: ContractWrite, at: Date): Promise<void> {
    await this.db('contracts').where({ id }).update({ ...this.values(w), version, updated_at: at });
    await this.db('contract_history').insert({ contract_id: id, version, body: JSON.stringify(w.body), changed_at: at });
  }

  async history(contractNumber: string): Promise<Array<{ version: number; body: ContractBody; changedAt: Date }>> {
    const rows = await this.db('contract_history as h')
      .join('contracts as k', 'k.id', 'h.contract_id')
      .where('k.contract_number', contractNumber)
      .orderBy('h.version')
      .select<Array<{ version: number; body: ContractBody; changed_at: string }>>('h.version', 'h.body', 'h.changed_at');
    return rows.map((r) => ({
      version: Number(r.version),
      body: r.body,
      changedAt: new Date(r.changed_at),
    }));
  }

  /** The customer's contracts: active first, then the newest. */
  async ofCustomer(customerId: string): Promise<Contract[]> {
    const rows: ContractRow[] = await this.base()
      .where('k.customer_id', customerId)
      .orderByRaw(`(k.status = 'active') DESC, k.valid_from DESC, k.contract_number`);
    return rows.map(mapRow);
  }

  async ofCustomerByNumber(customerId: string, contractNumber: string): Promise<Contract | undefined> {
    const row = (await this.base().where({ 'k.customer_id': customerId, 'k.contract_number': contractNumber }).first()) as ContractRow | undefined;
    return row ? mapRow(row) : undefined;
  }
}
