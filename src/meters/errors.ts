import { defineErrors } from '../errors.js';

/**
 * The meters module's error catalogue: stable codes, one status each. The feed's unknown customer
 * or property are the customers module's `unknown_customer` / `unknown_property`.
 */
export const meterErrors = defineErrors('meters', {
  invalid_reading: {
    status: 422,
    description: 'A reading of the feed has a missing, unknown or malformed field (field readings.N.name); the whole batch is refused.',
  },
  unknown_meter: { status: 422, description: 'A reading names a meter the billing system has not sent yet (field readings.N.meterSerial).' },
  duplicate_reading_in_batch: {
    status: 422,
    description: 'Two readings of one batch have the same meter, date and type (field readings.N).',
  },
  reading_below_previous: {
    status: 422,
    description: 'A reading without consumption is below the meter\'s previous reading, so consumption cannot be computed (field readings.N.value).',
  },
  reading_out_of_order: {
    status: 422,
    description: 'The reading is above a later reading of the same meter (field value or readings.N.value).',
  },
  meter_not_found: { status: 404, description: 'No such meter among the customer\'s meters.' },
  meter_removed: { status: 422, description: 'The meter has been removed; readings of it are no longer taken.' },
  reading_below_last: { status: 422, description: 'The reported value is below the meter\'s last reading (field value).' },
  reading_too_high: {
    status: 422,
    description: 'The reported value is more than 50 m³ a day above the previous reading (field value).',
  },
  reading_date_in_future: { status: 422, description: 'The reading is dated after today (field readOn).' },
  reading_date_too_old: { status: 422, description: 'The reading is dated more than 7 days back (field readOn).' },
  reading_already_reported: {
    status: 409,
    description: 'A reading of this meter was already reported today, or for that date.',
  },
});
