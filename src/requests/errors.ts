import { defineErrors } from '../errors.js';

/** The requests module's errors: stable codes, one status each across the project. */
export const requestErrors = defineErrors('requests', {
  request_not_found: { status: 404, description: 'No such request, or not one of this customer\'s.' },
  attachment_not_found: { status: 404, description: 'The request has no attachment with this number.' },
  request_invoice_unknown: { status: 422, description: 'invoiceNumber names no invoice of this customer (field invoiceNumber).' },
  request_meter_unknown: { status: 422, description: 'meterSerial names no meter of this customer (field meterSerial).' },
  idempotency_key_reused: { status: 422, description: 'The Idempotency-Key was used before with another request body.' },
  request_status_transition: {
    status: 409,
    description: 'The request cannot move from its status to the one asked for (details.allowed lists where it can go).',
  },
  request_closed: { status: 409, description: 'The request is closed: it takes no more replies.' },
});
