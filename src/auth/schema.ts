import { z } from 'zod';
import { MIN_PASSWORD_LENGTH } from './passwordPolicy.js';

/** A staff login chosen by an admin. */
export const staffLoginName = z
  .string()
  .min(3)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@/-]*$/, { message: 'may hold letters, digits and . _ @ / - only' });

export const loginBody = z
  .strictObject({
    login: z.string().min(1).max(200),
    password: z.string().min(1).max(200),
  })
  .meta({ id: 'LoginRequest' });

export const passwordChangeBody = z
  .strictObject({
    currentPassword: z.string().min(1).max(200),
    newPassword: z
      .string()
      .min(MIN_PASSWORD_LENGTH, { message: `must be at least ${MIN_PASSWORD_LENGTH} characters` })
      .max(200),
  })
  .meta({ id: 'PasswordChangeRequest' });

export const customerAccountBody = z
  .strictObject({
    customerNumber: z.string().min(1).max(64),
    email: z.email({ message: 'must be an e-mail address' }).max(254),
  })
  .meta({ id: 'CustomerAccountRequest' });

export const staffBody = z
  .strictObject({
    login: staffLoginName,
    role: z.enum(['admin', 'accounting'], { message: 'must be admin or accounting' }),
  })
  .meta({ id: 'StaffAccountRequest' });

export const accessTokenAnswer = z
  .object({
    accessToken: z.string().describe('A JWT for Authorization: Bearer; valid for an hour, ended by a password change.'),
    mustChangePassword: z.boolean().describe('true while the one-time password has not been changed.'),
  })
  .meta({ id: 'AccessToken' });

export const createdLoginAnswer = z
  .object({
    login: z.string(),
    oneTimePassword: z.string().describe('Shown once; the customer gets it by e-mail too.'),
  })
  .meta({ id: 'CreatedLogin' });
