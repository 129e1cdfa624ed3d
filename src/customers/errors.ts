import { defineErrors } from '../errors.js';

/** Errors of the customers module; `unknown_customer`/`unknown_property` also answer other feeds' references. */
export const customerErrors = defineErrors('customers', {
  unknown_customer: {
    status: 422,
    description: 'The body names a customer number the billing system has not sent yet; details name the field.',
  },
  unknown_property: {
    status: 422,
    description: 'The body names a property the customer does not have (not sent yet, or another customer\'s); details name the field.',
  },
  property_of_another_customer: {
    status: 409,
    description: 'A property in the list belongs to another customer; move it there first.',
  },
});
