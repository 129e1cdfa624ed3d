import type { Queryable } from '../db/createDb.js';
import type { Address } from '../schemas.js';
import type { CustomerBody } from './schema.js';

export interface Customer {
  id: string;
  customerNumber: string;
  name: string;
  address: Address;
  email: string | null;
  phone: string | null;
}

export interface Property {
  id: string;
  propertyNumber: string;
  customerId: string;
  address: Address;
}

/** A row of `customers` as the driver returns it. */
interface CustomerRow {
  id: string | number;
  customer_number: string;
  name: string;
  street: string;
  postal_code: string;
  city: string;
  email: string | null;
  phone: string | null;
}

/** A row of `properties` as the driver returns it. */
interface PropertyRow {
  id: string | number;
  property_number: string;
  customer_id: string | number;
  street: string;
  postal_code: string;
  city: string;
}

function mapCustomer(r: CustomerRow): Customer {
  return {
    id: String(r.id),
    customerNumber: r.customer_number,
    name: r.name,
    address: { street: r.street, postalCode: r.postal_code, city: r.city },
    email: r.email,
    phone: r.phone,
  };
}

function mapProperty(r: PropertyRow): Property {
  return {
    id: String(r.id),
    propertyNumber: r.property_number,
    customerId: String(r.customer_id),
    address: { street: r.street, postalCode: r.postal_code, city: r.city },
  };
}

/** SQL of the customers module's own tables: `customers` and `properties`. */
export class CustomerStore {
  constructor(private readonly db: Queryable) {}

  async byNumber(customerNumber: string, forUpdate = false): Promise<Customer | undefined> {
    const q = this.db<CustomerRow>('customers').where({ customer_number: customerNumber }).first();
    const row = await (forUpdate ? q.forUpdate() : q);
    return row ? mapCustomer(row) : undefined;
  }

  async byId(id: string): Promise<Customer | undefined> {
    const row = await this.db<CustomerRow>('customers').where({ id }).first();
    return row ? mapCustomer(row) : undefined;
  }

  /** Inserts or updates by the billing system's customer number; answers the row and whether it is new. */
  async upsert(customerNumber: string, body: CustomerBody): Promise<{ customer: Customer; created: boolean }> {
    const values = {
      name: body.name,
      street: body.address.street,
      postal_code: body.address.postalCode,
      city: body.address.city,
      email: body.email ?? null,
      phone: body.phone ?? null,
    };
    const rows: (CustomerRow & { inserted: boolean })[] = await this.db('customers')
      .insert({ customer_number: customerNumber, ...values })
      .onConflict('customer_number')
      .merge({ ...values, updated_at: this.db.fn.now() })
      // xmax = 0 only on a row this statement inserted: tells 201 from 200 in one round trip.
      .returning(['*', this.db.raw('(xmax = 0) AS inserted')]);
    const row = rows[0]!;
    return { customer: mapCustomer(row), created: Boolean(row.inserted) };
  }

  async propertiesOf(customerId: string): Promise<Property[]> {
    const rows = (await this.db('properties').where({ customer_id: customerId }).orderBy('property_number')) as PropertyRow[];
    return rows.map(mapProperty);
  }

  async propertiesByNumbers(numbers: string[]): Promise<Property[]> {
    if (numbers.length === 0) return [];
    const rows = (await this.db('properties').whereIn('property_number', numbers)) as PropertyRow[];
    return rows.map(mapProperty);
  }

  async upsertProperty(customerId: string, property: CustomerBody['properties'][number]): Promise<void> {
    const values = { street: property.address.street, postal_code: property.address.postalCode, city: property.address.city };
    await this.db('properties')
      .insert({ customer_id: customerId, property_number: property.id, ...values })
      .onConflict('property_number')
      .merge(values);
  }
}
