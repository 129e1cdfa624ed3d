import { z } from 'zod';
import { address, businessNumber } from '../schemas.js';

const propertyId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9/._-]+$/, { message: 'may hold letters, digits and / . _ - only' });

/** `PUT /api/billing/customers/{customerNumber}` (SPEC 4.1). */
export const customerBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    address,
    email: z.email({ message: 'must be an e-mail address' }).max(254).optional(),
    phone: z
      .string()
      .regex(/^\+?[0-9 ]{9,20}$/, { message: 'must be a phone number such as "+48 600 100 200"' })
      .optional(),
    properties: z.array(z.strictObject({ id: propertyId, address })).max(1000),
  })
  .superRefine((body, ctx) => {
    const seen = new Set<string>();
    body.properties.forEach((p, i) => {
      if (seen.has(p.id)) ctx.addIssue({ code: 'custom', path: ['properties', i, 'id'], message: `lists ${p.id} twice` });
      seen.add(p.id);
    });
  });
export type CustomerBody = z.output<typeof customerBody>;

export const customerNumberParams = z.strictObject({ customerNumber: businessNumber });

const property = z.object({ id: z.string(), address }).meta({ id: 'Property' });

/** The feed's answer: the customer as stored. */
export const customerAnswer = z
  .object({
    customerNumber: z.string(),
    name: z.string(),
    address,
    email: z.string().nullable(),
    phone: z.string().nullable(),
    properties: z.array(property),
  })
  .meta({ id: 'Customer' });

// A property's contracts and meters as `GET /api/me` lists them: the contracts and meters modules
// present them (the same fields as GET /api/contracts/{number} and GET /api/meters/{serial}).
const propertyContract = z
  .looseObject({ number: z.string(), service: z.string(), status: z.string(), validFrom: z.string(), validTo: z.string().nullable(), hasScan: z.boolean() })
  .meta({ description: 'As GET /api/contracts/{number} answers it.' });
const propertyMeter = z
  .looseObject({ number: z.string(), kind: z.string(), status: z.string(), legalisationValidUntil: z.string(), legalisationWarning: z.boolean() })
  .meta({ description: 'As GET /api/meters/{serial} answers it.' });

/** `GET /api/me` (SPEC 4.3). */
export const meAnswer = z
  .object({
    login: z.string(),
    customerNumber: z.string(),
    name: z.string(),
    address,
    email: z.string().nullable(),
    phone: z.string().nullable(),
    properties: z.array(
      z.object({
        id: z.string(),
        address,
        contracts: z.array(propertyContract),
        meters: z.array(propertyMeter),
      }),
    ),
  })
  .meta({ id: 'Me' });
