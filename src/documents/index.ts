export { FileStore, CHUNK_SIZE, FILE_TYPES, formatLimit } from './fileStore.js';
export type { FileType, StoredFile, OpenedFile, SaveFileInput, SpooledFile } from './fileStore.js';
export { documentErrors, FILE_ERROR_CODES } from './errors.js';
