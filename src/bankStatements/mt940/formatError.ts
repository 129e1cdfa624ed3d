/**
 * Thrown for any input that is not a well-formed MT940 statement (or cannot be decoded).
 * `line` is the 1-based line number in the decoded text, `field` the MT940 tag (e.g. ':61:')
 * when the problem belongs to one; both are also part of the message.
 */
export class StatementFormatError extends Error {
  override name = 'StatementFormatError';
  constructor(
    message: string,
    readonly line?: number,
    readonly field?: string,
  ) {
    super(
      line === undefined && field === undefined
        ? message
        : `${message} (${[line === undefined ? undefined : `line ${line}`, field === undefined ? undefined : `field ${field}`]
            .filter((s) => s !== undefined)
            .join(', ')})`,
    );
  }
}

/**
 * The file ends before its last statement does: a field opened and not finished, no closing
 * balance and no end line, or a SWIFT envelope begun and not ended. Nothing of it may be kept:
 * its last line may carry a cut title or amount (SPEC 4.5).
 */
export class StatementTruncatedError extends StatementFormatError {
  override name = 'StatementTruncatedError';
}
