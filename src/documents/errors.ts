import { defineErrors } from '../errors.js';

/** Errors of the documents module and its file store (request attachments reuse the file ones). */
export const documentErrors = defineErrors('documents', {
  file_type_not_allowed: {
    status: 422,
    description: 'The bytes of the file are not of an accepted type (checked against the content, not the name or the declared type).',
  },
  file_type_mismatch: {
    status: 422,
    description: 'The declared Content-Type differs from the type found in the bytes.',
  },
  file_empty: { status: 422, description: 'The file has no bytes.' },
  document_not_found: { status: 404, description: 'No such document, or not one this customer may see.' },
});

/** The file store's own refusals besides `payload_too_large` (413): routes that store files declare these. */
export const FILE_ERROR_CODES = ['file_type_not_allowed', 'file_type_mismatch', 'file_empty'] as const;
