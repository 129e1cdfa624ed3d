import { defineErrors } from '../errors.js';

/** The bank statements module's error catalogue: one status per code. */
export const bankStatementErrors = defineErrors('bankStatements', {
  empty_statement: { status: 400, description: 'The body is empty.' },
  invalid_statement: { status: 400, description: 'The file is not an MT940 statement this service can read; details name the line and field.' },
  unsupported_charset: { status: 415, description: 'The charset of the Content-Type is not ISO-8859-2, Windows-1250 or UTF-8.' },
  foreign_account: { status: 422, description: "The file holds a statement of an account that is not the utility's; nothing was imported." },
  statement_not_found: { status: 404, description: 'No bank statement with this id has been imported.' },
});
