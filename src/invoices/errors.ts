import { defineErrors } from '../errors.js';

export const invoiceErrors = defineErrors('invoices', {
  document_immutable: {
    status: 409,
    description: 'An invoice with this number was already issued with different content; issue a correction instead.',
  },
  ksef_number_taken: { status: 409, description: 'Another invoice already carries this KSeF number.' },
  too_many_lines: {
    status: 413,
    description: 'A bulk upload holds more than 1,000,000 lines; nothing of it was stored. Split it.',
  },
  line_too_long: {
    status: 413,
    description: 'A line of a bulk upload is longer than 1 MiB: that line alone is refused (in the answer line), the others are taken.',
  },
  bulk_conflict: {
    status: 503,
    description:
      'A bulk upload met other requests changing the same invoices or customers (a deadlock) on every one of its tries; nothing of it was stored. Send it again (Retry-After).',
  },
  unknown_invoice: {
    status: 422,
    description: 'The body names an invoice that has not been sent yet (or is another customer\'s); details name the field.',
  },
});
