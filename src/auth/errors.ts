import { defineErrors } from '../errors.js';

/** The auth module's errors: one status per code, across the whole project. */
export const authErrors = defineErrors('auth', {
  invalid_credentials: { status: 401, description: 'The login or password is incorrect (the same answer whether or not the login exists).' },
  too_many_attempts: {
    status: 429,
    description: 'Too many failed logins from this address (for this login, or in all): Retry-After says when to try again.',
  },
  login_busy: { status: 503, description: 'Too many logins are being checked at once; Retry-After says when to try again.' },
  password_unchanged: { status: 422, description: 'The new password is the current one.' },
  weak_password: {
    status: 422,
    description: 'The new password is blank, repetitive, common or derived from the login; details.reason says which.',
  },
  password_changed_concurrently: { status: 409, description: 'The password was changed by another request meanwhile; log in again.' },
  customer_not_found: { status: 404, description: 'No customer with that number (field customerNumber).' },
  account_exists: { status: 409, description: 'The customer already has a login.' },
  login_taken: { status: 409, description: 'The login is already taken.' },
});
