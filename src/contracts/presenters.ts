import type { z } from 'zod';
import type { contractView } from './schema.js';
import type { Contract } from './store.js';

export function presentContract(c: Contract): z.output<typeof contractView> {
  const hasScan = c.scanDocumentNumber !== null;
  return {
    number: c.contractNumber,
    service: c.service,
    property: { id: c.propertyNumber, address: c.propertyAddress },
    signedOn: c.signedOn,
    validFrom: c.validFrom,
    validTo: c.validTo,
    status: c.status,
    tariff: c.tariff,
    hasScan,
    scanUrl: hasScan ? `/api/contracts/${encodeURIComponent(c.contractNumber)}/scan` : null,
  };
}
