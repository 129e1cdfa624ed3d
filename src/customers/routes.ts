import { defineRoute, type RouteDefinition } from '../http/defineRoute.js';
import { customerIdOf } from '../http/guards.js';
import { commonErrors } from '../errors.js';
import { presentCustomer, presentProperty } from './presenters.js';
import { customerAnswer, customerBody, customerNumberParams, meAnswer } from './schema.js';
import type { CustomersService, PropertyDetails } from './service.js';

export function customerRoutes(service: CustomersService, details: PropertyDetails): RouteDefinition[] {
  return [
    defineRoute({
      method: 'put',
      path: '/api/billing/customers/:customerNumber',
      tag: 'billing feed',
      summary: 'Create or update a customer and their properties',
      description: 'Idempotent upsert keyed by the billing system\'s customer number (SPEC 4.1).',
      access: 'billing',
      params: customerNumberParams,
      body: customerBody,
      responses: {
        200: { description: 'Updated; the customer as stored.', schema: customerAnswer },
        201: { description: 'Created; the customer as stored.', schema: customerAnswer },
      },
      errors: ['property_of_another_customer'],
      handler: async (ctx, { params, body }) => {
        const { created, customer } = await service.upsertCustomer(params.customerNumber, body);
        ctx.status = created ? 201 : 200;
        return presentCustomer(customer);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/me',
      tag: 'customer portal',
      summary: 'The logged-in customer: name, address, contact, properties with their contracts and meters',
      access: ['customer'],
      responses: { 200: { description: 'The customer.', schema: meAnswer } },
      handler: async (_ctx, { user }) => {
        const customerId = customerIdOf(user);
        const customer = await service.customerById(customerId);
        if (!customer) throw commonErrors.create('not_found', 'Customer not found.');
        const extra = await details(customerId);
        return {
          login: user.login,
          customerNumber: customer.customerNumber,
          name: customer.name,
          address: customer.address,
          email: customer.email,
          phone: customer.phone,
          properties: customer.properties.map((p) => ({ ...presentProperty(p), ...extra(p.propertyNumber) })),
        };
      },
    }),
  ];
}
