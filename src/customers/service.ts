import type { Knex } from 'knex';
import type { Queryable } from '../db/createDb.js';
import { customerErrors } from './errors.js';
import type { CustomerBody } from './schema.js';
import { CustomerStore, type Customer, type Property } from './store.js';

/**
 * What `GET /api/me` adds to each property (its contracts and meters), given by the modules that
 * own them through their index.ts; read once per request for one customer.
 */
export type PropertyDetails = (customerId: string) => Promise<(propertyNumber: string) => { contracts: unknown[]; meters: unknown[] }>;

/** The 422 of a feed body naming a customer not sent yet (one wording for every feed). */
export function unknownCustomer(customerNumber: string, field = 'customerNumber') {
  return customerErrors.create('unknown_customer', `No customer with number ${customerNumber}; send the customer first.`, { field });
}

/** The 422 of a feed body naming a property the customer does not have. */
export function unknownProperty(customerNumber: string, propertyNumber: string, field = 'propertyId') {
  return customerErrors.create('unknown_property', `Customer ${customerNumber} has no property ${propertyNumber}.`, { field });
}

export type CustomerWithProperties = Customer & { properties: Property[] };

/**
 * Customers and their properties, as the billing system sends them (SPEC 4.1), and the lookups
 * other modules need: a customer by number for a feed, a property of a customer, the portal's
 * own customer.
 */
export class CustomersService {
  constructor(private readonly db: Knex) {}

  /** `PUT /api/billing/customers/{n}`: inserts or updates the customer and its properties. */
  async upsertCustomer(customerNumber: string, body: CustomerBody): Promise<{ created: boolean; customer: CustomerWithProperties }> {
    return this.db.transaction(async (trx) => {
      const store = new CustomerStore(trx);
      const { customer, created } = await store.upsert(customerNumber, body);
      const existing = await store.propertiesByNumbers(body.properties.map((p) => p.id));
      const foreign = existing.find((p) => p.customerId !== customer.id);
      if (foreign) {
        throw customerErrors.create(
          'property_of_another_customer',
          `Property ${foreign.propertyNumber} belongs to another customer; move it there first.`,
          { field: 'properties', propertyId: foreign.propertyNumber },
        );
      }
      for (const p of body.properties) await store.upsertProperty(customer.id, p);
      return { created, customer: { ...customer, properties: await store.propertiesOf(customer.id) } };
    });
  }

  async customerById(id: string): Promise<CustomerWithProperties | undefined> {
    const store = new CustomerStore(this.db);
    const customer = await store.byId(id);
    if (!customer) return undefined;
    return { ...customer, properties: await store.propertiesOf(id) };
  }

  /** What the auth module needs to know of a customer number (its CustomerDirectory). */
  async findByNumber(db: Queryable, customerNumber: string): Promise<{ id: string; name: string } | undefined> {
    const c = await new CustomerStore(db).byNumber(customerNumber);
    return c ? { id: c.id, name: c.name } : undefined;
  }

  /**
   * The customer a feed body names, or the 422 naming `field`. With `forUpdate` the customer's
   * row stays locked until `trx` ends, which serialises every change of that customer's account.
   */
  async requireCustomer(trx: Queryable, customerNumber: string, options: { field?: string; forUpdate?: boolean } = {}): Promise<Customer> {
    const customer = await new CustomerStore(trx).byNumber(customerNumber, options.forUpdate ?? false);
    if (!customer) {
      throw unknownCustomer(customerNumber, options.field);
    }
    return customer;
  }

  /** The customer's property a feed body names, or the 422 naming `field`. */
  async requireProperty(trx: Queryable, customer: Customer, propertyNumber: string, field = 'propertyId'): Promise<Property> {
    const [property] = await new CustomerStore(trx).propertiesByNumbers([propertyNumber]);
    if (!property || property.customerId !== customer.id) {
      throw unknownProperty(customer.customerNumber, propertyNumber, field);
    }
    return property;
  }

  async propertiesOf(customerId: string): Promise<Property[]> {
    return new CustomerStore(this.db).propertiesOf(customerId);
  }
}
