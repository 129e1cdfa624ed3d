import { defineErrors } from '../errors.js';

export const noticeErrors = defineErrors('notices', {
  nothing_to_confirm: { status: 409, description: 'The channel has no address waiting for confirmation.' },
  confirmation_code_invalid: { status: 422, description: 'The code does not match; details say how many tries are left.' },
  confirmation_code_expired: { status: 410, description: 'The code is older than 15 minutes or was tried 5 times; save the subscription again for a new one.' },
  too_many_codes: { status: 429, description: 'Five confirmation codes went to this channel within the hour; Retry-After says when another can be sent.' },
  outbox_message_not_found: { status: 404, description: 'No such message in the outbox.' },
  outbox_message_not_failed: { status: 409, description: 'Only a failed message can be tried again.' },
});
