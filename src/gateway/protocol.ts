/** Claims of the gateway's notifications and status answers (SPEC 3.3, 3.4), checked with zod. */
import { z } from 'zod';
import { isCompletedStatus, isGatewayStatusCode, type GatewayStatusCode } from './status.js';

export const GATEWAY_ISSUER = 'paybynet';
export const GATEWAY_AUDIENCE = 'paybynet';

/** Largest distance between a JWS's iat and our clock (SPEC 3.3). */
export const IAT_TOLERANCE_SECONDS = 300;
/** Registration JWS: exp at most this far after iat (SPEC 3.1). */
export const TRANSACTION_JWS_TTL_SECONDS = 300;
/** Bearer JWS of status queries and reports: exp at most this far ahead (SPEC 3.4). */
export const BEARER_JWS_TTL_SECONDS = 60;

/** date_valid of a registration: from 15 minutes to 7 days ahead (SPEC 3.1). */
export const DATE_VALID_MIN_SECONDS = 15 * 60;
export const DATE_VALID_MAX_SECONDS = 7 * 24 * 60 * 60;
/** The transfer title's limit (SPEC 3.1). */
export const TITLE_MAX_LENGTH = 140;
/** The merchant's 26-digit NRB account. */
export const NRB_PATTERN = /^\d{26}$/;

export const ID_TRANS_PATTERN = /^\d{10}$/;
/** A non-negative amount with exactly two decimals: "123.45". */
export const PROTOCOL_AMOUNT_PATTERN = /^(0|[1-9]\d{0,11})\.\d{2}$/;
export const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
/** ISO 8601 instant with a zone (Z or ±hh:mm). */
export const INSTANT_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export function isValidCalendarDate(value: string): boolean {
  if (!DATE_PATTERN.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

export function isValidInstant(value: string): boolean {
  return INSTANT_PATTERN.test(value) && !Number.isNaN(Date.parse(value));
}

const statusClaimsShape = {
  paymentId: z.string().min(1).max(128),
  id_trans: z.string().regex(ID_TRANS_PATTERN, 'id_trans must be 10 digits'),
  newStatus: z.number().refine(isGatewayStatusCode, 'unknown status code'),
  transAmount: z.string().regex(PROTOCOL_AMOUNT_PATTERN, 'transAmount must look like "123.45"'),
  // Any currency code is accepted here: a mismatch with the registered PLN is the payment's business.
  currency: z.string().regex(/^[A-Z]{3}$/),
  paid_at: z.string().refine(isValidInstant, 'paid_at must be an ISO instant').optional(),
  settlement_date: z.string().refine(isValidCalendarDate, 'settlement_date must be YYYY-MM-DD').optional(),
};

function requireCompletionFields(
  claims: { newStatus: number; paid_at?: string | undefined; settlement_date?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  if (isCompletedStatus(claims.newStatus)) {
    if (!claims.paid_at) ctx.addIssue({ code: 'custom', path: ['paid_at'], message: 'paid_at is required for a completed status' });
    if (!claims.settlement_date) {
      ctx.addIssue({ code: 'custom', path: ['settlement_date'], message: 'settlement_date is required for a completed status' });
    }
  }
}

export const statusClaimsSchema = z.object(statusClaimsShape).superRefine(requireCompletionFields);
export const notificationClaimsSchema = z
  .object({ ...statusClaimsShape, event_id: z.string().min(1).max(128), jti: z.string().min(1).max(128) })
  .superRefine(requireCompletionFields);

/** The gateway's view of a transaction, as its status answer says (SPEC 3.4). */
export interface GatewayTransactionStatus {
  paymentId: string;
  idTrans: string;
  status: GatewayStatusCode;
  /** "123.45" */
  amount: string;
  currency: string;
  /** Present for completed statuses. */
  paidAt: Date | null;
  /** YYYY-MM-DD; present for completed statuses. */
  settlementDate: string | null;
  /** When the gateway signed this (iat). */
  issuedAt: Date;
}

/** A verified notification (SPEC 3.3). `eventId` is the same on every retry of one status change. */
export interface GatewayNotification extends GatewayTransactionStatus {
  eventId: string;
  /** Unique per delivery. */
  jti: string;
}

export function toTransactionStatus(claims: z.infer<typeof statusClaimsSchema>, iat: number): GatewayTransactionStatus {
  return {
    paymentId: claims.paymentId,
    idTrans: claims.id_trans,
    status: claims.newStatus,
    amount: claims.transAmount,
    currency: claims.currency,
    paidAt: claims.paid_at ? new Date(claims.paid_at) : null,
    settlementDate: claims.settlement_date ?? null,
    issuedAt: new Date(iat * 1000),
  };
}

/** First zod issue as "path: message", for error messages that never echo the token. */
export function describeZodError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid claims';
  return `${issue.path.join('.') || '(root)'}: ${issue.message}`;
}
