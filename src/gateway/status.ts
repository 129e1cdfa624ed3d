/** PayByNet status codes (SPEC 3.2). */
export const GatewayStatus = {
  WAITING_FOR_CUSTOMER: 2101,
  WAITING_FOR_BANK: 2102,
  EXPIRED: 2201,
  REJECTED: 2202,
  COMPLETED: 2203,
  EXPIRED_BY_BANK: 2301,
  REJECTED_BY_BANK: 2302,
  COMPLETED_BY_BANK: 2303,
} as const;

export type GatewayStatusCode = (typeof GatewayStatus)[keyof typeof GatewayStatus];

export const GATEWAY_STATUS_CODES: readonly GatewayStatusCode[] = Object.values(GatewayStatus);

export type GatewayStatusKind = 'pending' | 'expired' | 'rejected' | 'completed';

export function isGatewayStatusCode(code: unknown): code is GatewayStatusCode {
  return typeof code === 'number' && (GATEWAY_STATUS_CODES as readonly number[]).includes(code);
}

/** What a status code means for the payment. Throws on a code outside the protocol. */
export function statusKind(code: number): GatewayStatusKind {
  switch (code) {
    case 2101:
    case 2102:
      return 'pending';
    case 2201:
    case 2301:
      return 'expired';
    case 2202:
    case 2302:
      return 'rejected';
    case 2203:
    case 2303:
      return 'completed';
    default:
      throw new RangeError(`unknown PayByNet status code ${code}`);
  }
}

/** A final status never changes (SPEC 3.2). */
export function isFinalStatus(code: number): boolean {
  return statusKind(code) !== 'pending';
}

export function isCompletedStatus(code: number): boolean {
  return isGatewayStatusCode(code) && statusKind(code) === 'completed';
}
