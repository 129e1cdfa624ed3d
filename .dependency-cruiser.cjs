/**
 * The layering rules of docs/architecture.md, checked by `npm run lint:layers` (and in .ci/run).
 * A module is a folder under src/ (src/invoices/, src/payments/, ...); src/http/ and src/db/ are
 * the shared layers every module builds on, the files directly in src/ the shared homes and the
 * wiring.
 */

// Files holding domain logic or SQL: the services and stores of every module.
const SERVICE_OR_STORE = { path: '^src/[^/]+/.*[Ss](ervice|tore)[^/]*\\.ts$', pathNot: '^src/(http|web)/' };

module.exports = {
  forbidden: [
    {
      name: 'routes-never-import-knex',
      comment: 'Route definitions call services; SQL and transactions live below them (docs/architecture.md).',
      severity: 'error',
      from: { path: '^src/[^/]+/.*routes\\.ts$' },
      to: { path: '(^|/)node_modules/knex/' },
    },
    {
      name: 'services-and-stores-never-import-http',
      comment: 'Services and stores do not know Koa or src/http/; the web pages and the API call the same services.',
      severity: 'error',
      from: SERVICE_OR_STORE,
      to: { path: ['(^|/)node_modules/(koa|koa-[^/]+|@koa/[^/]+)/', '^src/http/'] },
    },
    {
      name: 'gateway-never-touches-the-database',
      comment: 'src/gateway/ is the PayByNet protocol only.',
      severity: 'error',
      from: { path: '^src/gateway/' },
      to: { path: ['^src/db/', '(^|/)node_modules/(knex|pg|@electric-sql/pglite)/'] },
    },
    {
      name: 'modules-meet-only-through-index',
      comment: "A module uses another only through that module's index.ts.",
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: {
        path: '^src/[^/]+/',
        pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$', '^src/(http|db)/'],
      },
    },
    {
      name: 'only-the-wiring-imports-mocks',
      comment: 'The bundled outside parties are chosen in one place (main.ts, deps.ts); tests and benchmarks start them too.',
      severity: 'error',
      from: { path: '^(src|migrations)/', pathNot: '^src/(main|deps)\\.ts$' },
      to: { path: '^mocks/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a route importing `type { Knex }` still reaches past its layer.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      extensions: ['.ts', '.js', '.json'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
    exclude: { path: '^dist/' },
  },
};
