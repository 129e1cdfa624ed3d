import type { z } from 'zod';
import type { accessTokenAnswer, createdLoginAnswer } from './schema.js';
import type { LoginResult } from './service.js';

/** The answer of a login or password change: the token and the gate, never the user's internals. */
export function presentAccessToken(result: LoginResult): z.infer<typeof accessTokenAnswer> {
  return { accessToken: result.accessToken, mustChangePassword: result.mustChangePassword };
}

export function presentCreatedLogin(created: { login: string; oneTimePassword: string }): z.infer<typeof createdLoginAnswer> {
  return { login: created.login, oneTimePassword: created.oneTimePassword };
}
