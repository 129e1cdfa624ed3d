import { z } from 'zod';
import { address, businessNumber, dateString } from '../schemas.js';

export const SERVICES = ['water', 'sewage', 'water_sewage'] as const;
export const CONTRACT_STATUSES = ['active', 'terminated'] as const;

export const contractParams = z.strictObject({ contractNumber: businessNumber });

export const contractBody = z
  .strictObject({
    customerNumber: businessNumber,
    propertyId: businessNumber,
    service: z.enum(SERVICES),
    signedOn: dateString,
    validFrom: dateString,
    validTo: dateString.nullable().optional(),
    status: z.enum(CONTRACT_STATUSES),
    tariff: z.strictObject({ code: z.string().trim().min(1).max(32), name: z.string().trim().min(1).max(200) }),
    scanDocumentId: businessNumber.nullable().optional(),
  })
  .superRefine((b, ctx) => {
    if (b.validTo && b.validTo < b.validFrom) {
      ctx.addIssue({ code: 'custom', path: ['validTo'], message: 'must not be before validFrom' });
    }
  })
  .meta({ id: 'ContractFeed' });
export type ContractBody = z.output<typeof contractBody>;

const tariff = z.object({ code: z.string(), name: z.string() });

export const contractView = z
  .object({
    number: z.string(),
    service: z.enum(SERVICES),
    property: z.object({ id: z.string(), address }),
    signedOn: z.string(),
    validFrom: z.string(),
    validTo: z.string().nullable(),
    status: z.enum(CONTRACT_STATUSES),
    tariff,
    hasScan: z.boolean(),
    scanUrl: z.string().nullable(),
  })
  .meta({ id: 'Contract' });

export const contractList = z.object({ items: z.array(contractView) }).meta({ id: 'ContractList' });

export const fedContract = z
  .object({
    contractNumber: z.string(),
    customerNumber: z.string(),
    version: z.number().int().min(1),
    changed: z.boolean().meta({ description: 'False when the same body came again.' }),
    contract: contractView,
  })
  .meta({ id: 'FedContract' });

export const conditionalHeaders = z.object({ 'if-none-match': z.string().max(2000).optional() });
