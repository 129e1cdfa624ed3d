import { defineErrors } from '../errors.js';

/** The payments module's error catalogue: one status per code, stable codes. */
export const paymentErrors = defineErrors('payments', {
  idempotency_key_required: { status: 400, description: 'POST /api/payments was sent without an Idempotency-Key header.' },
  idempotency_key_reused: { status: 422, description: 'The Idempotency-Key was used before with another request body.' },
  payment_amount_too_large: { status: 422, description: 'The chosen invoices add up to more than a payment can carry (numeric(14,2)).' },
  invoice_not_payable: { status: 409, description: 'A named invoice has nothing left to pay.' },
  nothing_to_pay: { status: 409, description: 'No outstanding invoice is free to pay (none, or all in a pending payment).' },
  payment_pending: { status: 409, description: 'An invoice is already in another pending payment (ordering exactly its invoices resumes it instead).' },
  request_in_progress: { status: 409, description: 'The order is still being registered at the gateway; retry shortly.' },
  payment_not_cancellable: { status: 409, description: 'The payment is already final (completed, rejected, expired...) and cannot be cancelled.' },
  gateway_unavailable: { status: 502, description: 'The payment gateway is down or refused the request; nothing was charged.' },
  gateway_timeout: { status: 504, description: 'The payment gateway did not answer within 5 seconds; nothing was charged.' },
  invalid_notification: { status: 401, description: 'A gateway notification whose signature, key, alg, iss, aud or iat is not acceptable; nothing changed.' },
  gateway_keys_unavailable: { status: 503, description: "The gateway's public keys could not be fetched; the gateway retries the notification later." },
});
