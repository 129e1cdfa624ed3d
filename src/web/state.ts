import type { AuthUser } from '../auth/index.js';

/** The logged-in user of a page, as the auth service answers it for a session. */
export type WebUser = AuthUser;

/** An error a page answers with a Polish sentence and a status. */
export class WebError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'WebError';
  }
}
