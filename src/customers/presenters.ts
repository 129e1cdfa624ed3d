import type { CustomerWithProperties } from './service.js';
import type { Property } from './store.js';

export function presentProperty(p: Property) {
  return { id: p.propertyNumber, address: p.address };
}

/** The billing feed's answer: what is stored now. */
export function presentCustomer(c: CustomerWithProperties) {
  return {
    customerNumber: c.customerNumber,
    name: c.name,
    address: c.address,
    email: c.email,
    phone: c.phone,
    properties: c.properties.map(presentProperty),
  };
}
