import type { RouteDefinition } from './http/defineRoute.js';

/**
 * Periodic work of a module. The job runner (see `src/jobs/`) decides where and when it runs;
 * a job must be safe to run on several instances at once and again after a crash.
 */
export interface JobDefinition {
  /** Unique, kebab-case: `payments-sweep`. */
  name: string;
  schedule: { everySeconds: number } | { cron: string };
  run(): Promise<void>;
}

/**
 * What every domain module gives the wiring: `createXModule(deps) → { service, routes, jobs }`.
 * `deps.ts` builds the modules in order; `app.ts` mounts every module's routes; `main.ts` hands
 * every module's jobs to the job runner.
 */
export interface AppModule<S = unknown> {
  name: string;
  service: S;
  routes: RouteDefinition[];
  jobs: JobDefinition[];
}
