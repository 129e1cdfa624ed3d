import { sendStoredFile } from '../documents/index.js';
import { defineRoute, type RouteDefinition } from '../http/defineRoute.js';
import { customerIdOf } from '../http/guards.js';
import { presentContract } from './presenters.js';
import { conditionalHeaders, contractBody, contractList, contractParams, contractView, fedContract } from './schema.js';
import type { ContractService } from './service.js';

export function contractRoutes(service: ContractService): RouteDefinition[] {
  return [
    defineRoute({
      method: 'put',
      path: '/api/billing/contracts/:contractNumber',
      tag: 'billing feed',
      summary: 'Store or change a contract',
      description: 'The latest body wins and each change is kept. scanDocumentId must name a document already fed.',
      access: 'billing',
      params: contractParams,
      body: contractBody,
      responses: {
        201: { description: 'A new contract.', schema: fedContract },
        200: { description: 'A changed contract, or the same body again (changed: false).', schema: fedContract },
      },
      errors: ['unknown_customer', 'unknown_property', 'reference_not_found'],
      handler: async (ctx, { params, body }) => {
        const result = await service.feed(params.contractNumber, body);
        ctx.status = result.created ? 201 : 200;
        return {
          contractNumber: result.contract.contractNumber,
          customerNumber: result.contract.customerNumber,
          version: result.contract.version,
          changed: result.changed,
          contract: presentContract(result.contract),
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/contracts',
      tag: 'contracts',
      summary: "The customer's contracts, active first, then the newest",
      access: ['customer'],
      responses: { 200: { description: 'The contracts.', schema: contractList } },
      handler: async (_ctx, { user }) => ({ items: (await service.contractsOfCustomer(customerIdOf(user))).map(presentContract) }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/contracts/:contractNumber',
      tag: 'contracts',
      summary: 'One contract: service, property, dates, status, tariff, whether a signed scan is on file',
      access: ['customer'],
      params: contractParams,
      responses: { 200: { description: 'The contract.', schema: contractView } },
      errors: ['contract_not_found'],
      handler: async (_ctx, { params, user }) => presentContract(await service.contractOfCustomer(customerIdOf(user), params.contractNumber)),
    }),
    defineRoute({
      method: 'get',
      path: '/api/contracts/:contractNumber/scan',
      tag: 'contracts',
      summary: 'The signed scan of a contract',
      description: 'Streams the scan with Content-Type, Content-Disposition, Content-Length and ETag; 404 when there is none.',
      access: ['customer'],
      params: contractParams,
      headers: conditionalHeaders,
      responses: {
        200: { description: 'The scan (PDF or image).', contentType: 'application/octet-stream' },
        304: { description: 'The copy the client holds (If-None-Match) is current.' },
      },
      errors: ['contract_not_found', 'contract_scan_not_found'],
      handler: async (ctx, { params, headers, user }) => {
        const { file, fileName } = await service.scanOfCustomer(customerIdOf(user), params.contractNumber);
        sendStoredFile(ctx, file, fileName, headers['if-none-match']);
      },
    }),
  ];
}
