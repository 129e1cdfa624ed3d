import { defineErrors } from '../errors.js';

/**
 * The ledger's own errors. It has none yet: its reads answer the common codes, and its writes run
 * inside other modules' transactions, which answer for them.
 */
export const ledgerErrors = defineErrors('ledger', {});
