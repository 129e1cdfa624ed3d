import type { Knex } from 'knex';
import type { AppModule } from '../module.js';
import type { HttpMetrics } from './metrics.js';
import { opsRoutes } from './routes.js';

export { HttpMetrics } from './metrics.js';

/** Operations: health, readiness, metrics. No service of its own. */
export function createOpsModule(deps: { db: Knex; metrics: HttpMetrics; metricsToken?: string | undefined }): AppModule<undefined> {
  return { name: 'ops', service: undefined, routes: opsRoutes(deps.db, deps.metrics, deps.metricsToken), jobs: [] };
}
