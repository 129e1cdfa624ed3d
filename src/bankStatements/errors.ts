import { defineErrors } from '../errors.js';

/** The bank statements module's error catalogue: one status per code. */
export const bankStatementErrors = defineErrors('bankStatements', {
  empty_statement: { status: 400, description: 'The body is empty.' },
  invalid_statement: { status: 400, description: 'The file is not an MT940 statement this service can read; details name the line and field.' },
  unsupported_charset: { status: 415, description: 'The charset of the Content-Type is not ISO-8859-2, Windows-1250 or UTF-8.' },
  foreign_account: { status: 422, description: "The file holds a statement of an account that is not the utility's; nothing was imported." },
  statement_not_found: { status: 404, description: 'No bank statement with this id has been imported.' },
  statement_truncated: { status: 422, description: 'The file is cut short (a field not finished, no closing balance or end line, an envelope not closed); nothing was kept.' },
  statement_too_large: { status: 422, description: 'The file holds more than 100,000 statement lines; nothing was kept.' },
  bank_line_not_found: { status: 404, description: 'No bank statement line with this id.' },
  line_not_assignable: { status: 409, description: 'Only unmatched and conflict lines in PLN are assigned by hand.' },
  line_already_assigned: { status: 409, description: 'The line was assigned (credited) before; it is credited once.' },
  unknown_assignee: { status: 422, description: 'The customer, or one of the invoices of that customer, does not exist.' },
});
