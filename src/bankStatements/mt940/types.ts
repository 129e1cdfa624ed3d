/** A balance line (:60F:/:60M:, :62F:/:62M:, :64:). */
export interface Balance {
  /** 'YYYY-MM-DD' */
  date: string;
  /** Signed decimal string with two fractional digits: '1234.56', '-959.45' (debit balance). */
  amount: string;
  currency: string;
}

export type Direction = 'credit' | 'debit';

/** What a line's :86: field says, structured (`~20`… subfields) or as mBank's keyed free text. */
export interface Narrative {
  /** The 2–3 digit transaction code that opens :86: ('' if none). */
  transactionCode: string;
  /** Operation description: structured `~00`, or mBank's first :86: segment. */
  description?: string;
  /** The transfer title as Unicode ('' if none). */
  title: string;
  counterpartyName?: string;
  /** 26 digits for a Polish account (NRB or PL IBAN), else the compact IBAN/account as written. */
  counterpartyAccount?: string;
  /** The bank's own transaction number (mBank `TNR:`), unique per line. */
  transactionNumber?: string;
  /**
   * Every :86: subfield: for the structured form keyed by the two digits ('00', '20', '38'...),
   * values as written (a repeated subfield is appended); for mBank's keyed free text keyed by the
   * key without its colon ('TYT.', 'Z RACH.', 'ID IPH', 'TNR'...), values trimmed.
   */
  details: Record<string, string>;
  /** The whole :86: with its line wrapping undone ('' if the line has no :86:). */
  raw86: string;
}

/** Where `StatementLine.bankReference` came from. */
export type BankReferenceSource =
  /** the part after '//' in the :61: line */
  | 'statement'
  /** the :61: had none; the bank's transaction number from :86: (mBank `TNR:`) */
  | 'transaction-number'
  /** neither: a stable hash of the line's content (see parseMt940) */
  | 'generated';

export interface StatementLine extends Narrative {
  /** 1-based line number of the :61: field in the decoded text. */
  lineNumber: number;
  /** 'YYYY-MM-DD' */
  valueDate: string;
  /** 'YYYY-MM-DD'; the year is inferred from the value date (new-year rollover handled). */
  entryDate?: string;
  /**
   * The effect on the account: 'credit' = money in. A reversal of a credit (RC) is a 'debit',
   * a reversal of a debit (RD) is a 'credit'; see `reversal`.
   */
  direction: Direction;
  /** true for the RC / RD marks (the bank reverses an earlier entry). */
  reversal: boolean;
  /** Positive, dot decimal, two fractional digits: '1234.56'. */
  amount: string;
  /** The statement's currency (an MT940 line has none of its own). */
  currency: string;
  /** The funds code letter (third letter of the currency) when the bank writes one. */
  fundsCode?: string;
  /** e.g. 'NTRF', 'NCHG', 'S103' */
  transactionType: string;
  /** The part of :61: before '//', e.g. 'NONREF' ('' when absent). */
  customerReference: string;
  /**
   * The bank's reference: the part after '//'; when the :61: has none, the bank's transaction
   * number from :86: (mBank `TNR:`), else a generated stable id ('GEN-' + 16 hex digits).
   * NOTE: not unique on its own in every bank: mBank repeats one reference on several lines of a
   * batch (fees + transfer) and on both sides of an internal transfer; `transactionNumber`
   * (mBank `TNR:`) is unique per line where present.
   */
  bankReference: string;
  bankReferenceSource: BankReferenceSource;
  /** The :61: supplementary details (mBank's second line, e.g. '911-TRANSAKCJA IPH'); '' if none. */
  supplementary: string;
}

export interface BankStatement {
  /** :20: */
  reference: string;
  /** :25: normalised: the 26-digit NRB for a Polish account; otherwise the compact account as written. */
  account: string;
  /** :28C: (or :28:) as written, e.g. '107/1'; '' when the bank leaves it out. */
  number: string;
  /** from the opening balance */
  currency: string;
  /** 1-based line number of the :20: field in the decoded text. */
  lineNumber: number;
  openingBalance: Balance;
  /**
   * :62F: / :62M:. Optional because real files omit it (mBank's IPH export has none); when it is
   * present parseMt940 has checked that opening + credits - debits = closing.
   */
  closingBalance?: Balance;
  /** :64: closing available balance, when present. */
  availableBalance?: Balance;
  lines: StatementLine[];
}
