/** The PayByNet-style gateway protocol (SPEC 3), merchant side. No database access. */
export * from './client.js';
export * from './errors.js';
export * from './jwks.js';
export * from './jws.js';
export * from './keys.js';
export * from './protocol.js';
export * from './settlement.js';
export * from './status.js';
