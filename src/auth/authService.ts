// The old path of the auth service, kept while other folders still import it: new code imports
// from './index.js' (the module contract).
export { AuthService } from './service.js';
export type { AuthUser, CustomerDirectory } from './service.js';
