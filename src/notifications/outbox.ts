/** Moved to the notices module: import from `src/notices/index.ts`. Kept until every caller has moved. */
export { enqueueEmail, type OutboxEmail } from '../notices/index.js';
