import type { Knex } from 'knex';
import type { AppModule } from '../module.js';
import type { HttpMetrics } from './metrics.js';
import { opsRoutes } from './routes.js';
import { OpsService } from './service.js';

export { HttpMetrics } from './metrics.js';
export { OpsService, type Readiness } from './service.js';

/** Operations: health, readiness, metrics. */
export function createOpsModule(deps: { db: Knex; metrics: HttpMetrics; metricsToken?: string | undefined }): AppModule<OpsService> {
  const service = new OpsService(deps.db);
  return { name: 'ops', service, routes: opsRoutes(service, deps.metrics, deps.metricsToken), jobs: [] };
}
