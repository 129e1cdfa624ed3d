/** Base class of everything the gateway client throws on purpose. */
export class GatewayError extends Error {
  override name = 'GatewayError';
}

/** The gateway could not be reached, answered 5xx, or answered something we cannot trust or parse. */
export class GatewayUnavailableError extends GatewayError {
  override name = 'GatewayUnavailableError';
  constructor(
    message: string,
    readonly httpStatus?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The gateway did not answer within the client's timeout. */
export class GatewayTimeoutError extends GatewayError {
  override name = 'GatewayTimeoutError';
  constructor(
    message: string,
    readonly timeoutMs: number,
  ) {
    super(message);
  }
}

/** The gateway refused the request (4xx). `code` and `gatewayMessage` come from its JSON error body when present. */
export class GatewayRejectedError extends GatewayError {
  override name = 'GatewayRejectedError';
  constructor(
    readonly httpStatus: number,
    readonly code: string | undefined,
    readonly gatewayMessage: string | undefined,
  ) {
    super(`gateway refused the request: HTTP ${httpStatus}${code ? ` ${code}` : ''}${gatewayMessage ? `: ${gatewayMessage}` : ''}`);
  }
}

/** Machine reasons for refusing a JWS from the gateway. */
export type JwsRefusalReason =
  | 'malformed'
  | 'unsupported_alg'
  | 'unknown_kid'
  | 'bad_signature'
  | 'wrong_type'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'stale_iat'
  | 'expired';

/** A JWS failed verification. The message never contains the token. */
export class JwsVerificationError extends GatewayError {
  override name = 'JwsVerificationError';
  constructor(
    readonly reason: JwsRefusalReason,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A notification the merchant must refuse with 401 and change nothing (SPEC 3.3).
 * `reason` is short and machine-readable; it is safe to log and to return.
 */
export class InvalidNotificationError extends GatewayError {
  override name = 'InvalidNotificationError';
  constructor(
    readonly reason: JwsRefusalReason,
    message: string,
  ) {
    super(message);
  }
}

/** The detached signature of a settlement report did not verify; the downloaded file was removed. */
export class SettlementReportSignatureError extends GatewayError {
  override name = 'SettlementReportSignatureError';
  constructor(
    readonly reason: JwsRefusalReason | 'missing_signature',
    message: string,
  ) {
    super(message);
  }
}

/** A settlement report file is not in the format of SPEC 3.5. `line` is 1-based (the header is line 1). */
export class SettlementReportFormatError extends GatewayError {
  override name = 'SettlementReportFormatError';
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`settlement report line ${line}: ${message}`);
  }
}
