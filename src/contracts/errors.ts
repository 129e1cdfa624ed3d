import { defineErrors } from '../errors.js';

export const contractErrors = defineErrors('contracts', {
  reference_not_found: {
    status: 422,
    description: 'The body names a document (scanDocumentId) that has not been fed yet, or another customer\'s; details name the field.',
  },
  contract_not_found: { status: 404, description: 'No such contract on your account.' },
  contract_scan_not_found: { status: 404, description: 'The contract has no signed scan.' },
});
