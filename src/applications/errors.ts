import { defineErrors } from '../errors.js';

/** The account applications module's errors: stable codes, one status each across the project. */
export const applicationErrors = defineErrors('applications', {
  application_not_found: { status: 404, description: 'No account application with this id.' },
  application_already_decided: { status: 409, description: 'The application was already approved or rejected.' },
  application_unmatched: {
    status: 409,
    description: 'The application did not match the customer\'s invoices; it is kept for statistics and cannot be decided.',
  },
});
