/** Account number helpers for Polish NRB (26 digits) and IBANs. Pure string work. */

const IBAN_LIKE = /^[A-Z]{2}\d{2}[A-Z0-9]{8,30}$/;

/** mod 97 of a string of digits, computed piecewise (the number is far beyond 2^53). */
function mod97(digits: string): number {
  let rest = 0;
  for (const ch of digits) rest = (rest * 10 + (ch.charCodeAt(0) - 48)) % 97;
  return rest;
}

/** IBAN check (ISO 13616) of a Polish NRB: 'PL' + the 26 digits. */
export function isValidNrb(nrb: string): boolean {
  if (!/^\d{26}$/.test(nrb)) return false;
  // move 'PL' + check digits to the end; P = 25, L = 21
  return mod97(nrb.slice(2) + '2521' + nrb.slice(0, 2)) === 1;
}

/** The 26-digit NRB from an 8-digit sort code and a 16-digit account number (computes the check digits). */
export function nrbFromParts(sortCode: string, accountNumber: string): string | undefined {
  if (!/^\d{8}$/.test(sortCode) || !/^\d{16}$/.test(accountNumber)) return undefined;
  const bban = sortCode + accountNumber;
  const check = 98 - mod97(bban + '252100');
  return String(check).padStart(2, '0') + bban;
}

/**
 * Normalises an account as banks write it (':25:/PL61 1090 1014 ...', 'PL61109...', '61 1090 ...',
 * 'BPKOPLPW/PL61...', an IBAN of another country) to the 26-digit NRB for a Polish account, the
 * compact IBAN (upper case, no spaces) otherwise, or the compacted text as written when it is
 * neither. Returns '' for an empty input.
 */
export function normaliseAccount(raw: string): string {
  let s = raw.replace(/[\s-]+/g, '').toUpperCase();
  s = s.replace(/^\/+/, '');
  // 'BIC/ACCOUNT' or 'ACCOUNT/CUR': keep the part that looks like an account
  if (s.includes('/')) {
    const parts = s.split('/').filter((p) => p !== '');
    const accountPart = parts.find((p) => /^(PL)?\d{26}$/.test(p) || IBAN_LIKE.test(p));
    if (accountPart !== undefined) s = accountPart;
  }
  const pl = /^(?:PL)?(\d{26})$/.exec(s);
  if (pl?.[1] !== undefined) return pl[1];
  return s;
}
