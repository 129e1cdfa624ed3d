import { defineErrors } from '../errors.js';

export const invoiceErrors = defineErrors('invoices', {
  document_immutable: {
    status: 409,
    description: 'An invoice with this number was already issued with different content; issue a correction instead.',
  },
  ksef_number_taken: { status: 409, description: 'Another invoice already carries this KSeF number.' },
  unknown_invoice: {
    status: 422,
    description: 'The body names an invoice that has not been sent yet (or is another customer\'s); details name the field.',
  },
});
