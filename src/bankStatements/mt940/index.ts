/**
 * Bank statement import, the parsing half: bytes → text (decodeStatement) → statements
 * (parseMt940). Pure: no database, no HTTP.
 */
export { decodeStatement, chooseCharset, detectSingleByteCharset, resolveCharset } from './decode.js';
export type { StatementCharset } from './decode.js';
export { parseMt940, parseMt940Async } from './mt940.js';
export type { ParseOptions } from './mt940.js';
export { parseNarrative, joinFreeTextLines } from './narrative.js';
export type { Narrative } from './narrative.js';
export { normaliseAccount, nrbFromParts, isValidNrb } from './account.js';
export { StatementFormatError, StatementTruncatedError } from './formatError.js';
export type { Balance, BankReferenceSource, BankStatement, Direction, StatementLine } from './types.js';
