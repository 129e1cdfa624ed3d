import { emptyClusterTemplateDir, makeEmptyClusterTemplate } from '../db/createDb.js';

/**
 * Run by `npm install` (prepare) after the build: the empty embedded database cluster that a first
 * `npm start` copies instead of running initdb. Optional: when it cannot be made, install goes on
 * and the first start runs initdb itself.
 */
try {
  if (await makeEmptyClusterTemplate()) process.stdout.write(`ibok-payments: empty embedded database prepared in ${emptyClusterTemplateDir()}\n`);
} catch (err) {
  process.stderr.write(`ibok-payments: could not prepare the empty embedded database (a first start will create it): ${(err as Error).message}\n`);
}
