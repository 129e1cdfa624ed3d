import { defineErrors } from '../errors.js';

/** Reconciliation's error catalogue: one status per code. */
export const reconciliationErrors = defineErrors('reconciliation', {
  date_in_future: { status: 422, description: 'The date is after today in Warsaw: the gateway has no settlement report for it yet.' },
  reconciliation_running: { status: 409, description: 'A reconciliation of this date is running right now.' },
  run_superseded: { status: 409, description: 'The item belongs to a run that a later run of the date replaced.' },
  not_reconciled: { status: 404, description: 'The date has no completed reconciliation (details list failed attempts).' },
  reconciliation_item_not_found: { status: 404, description: 'The date’s reconciliation has no such item.' },
  settlement_report_invalid: { status: 502, description: 'The gateway’s settlement report fails its signature or format; nothing of it was kept.' },
  gateway_timeout: { status: 504, description: 'The payment gateway did not answer in time.' },
  gateway_refused: { status: 502, description: 'The payment gateway refused the request.' },
  gateway_unavailable: { status: 502, description: 'The payment gateway is not available.' },
});
