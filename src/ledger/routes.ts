import { defineRoute, type RouteDefinition } from '../http/defineRoute.js';
import { customerIdOf } from '../http/guards.js';
import { presentSettlements } from './presenters.js';
import { settlementsAnswer, settlementsQuery } from './schema.js';
import type { LedgerService } from './service.js';

export function ledgerRoutes(ledger: LedgerService): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/settlements',
      tag: 'customer portal',
      summary: 'The account ledger: invoices, corrections, payments, prepayments, overpayments, and the balance',
      description:
        'Filters narrow the items; the balance is always over the whole account. `status=paid` keeps what is settled, `unpaid` what is not. Paged with `limit` (100 unless said) and `cursor`.',
      access: ['customer'],
      query: settlementsQuery,
      responses: { 200: { description: 'The ledger.', schema: settlementsAnswer } },
      handler: async (_ctx, { user, query }) => {
        const { limit, cursor, ...filter } = query;
        return presentSettlements(await ledger.settlementsPage(customerIdOf(user), filter, { limit, cursor }));
      },
    }),
  ];
}
