import type Router from '@koa/router';
import { z } from 'zod';
import { sendStoredFile } from '../../documents/index.js';
import { AppError } from '../../errors.js';
import { customerOnly, type PageDeps } from '../index.js';
import { render } from '../render.js';
import { WebError } from '../state.js';

const numberParam = z.string().min(1).max(64).regex(/^[\x21-\x7e]+$/);
const documentId = z.string().min(1).max(128).regex(/^[\x21-\x7e]+$/);

/** Contracts with their signed scans, and the documents to download. */
export function registerContractAndDocumentPages(router: Router, { deps }: PageDeps): void {
  router.get('/umowy', async (ctx) => {
    const who = customerOnly(ctx);
    if (!who) return;
    const contracts = await deps.contracts.contractsOfCustomer(who.customerId);
    render(ctx, 'contracts', { title: 'Umowy', contracts });
  });

  router.get('/umowy/:number/skan', async (ctx) => {
    const who = customerOnly(ctx);
    if (!who) return;
    const number = numberParam.safeParse(ctx.params.number);
    if (!number.success) throw new WebError(404, 'Nie znaleziono skanu tej umowy.');
    try {
      const scan = await deps.contracts.scanOfCustomer(who.customerId, number.data);
      sendStoredFile(ctx, scan.file, scan.fileName, ctx.get('if-none-match') || undefined);
    } catch (err) {
      if (err instanceof AppError && err.status === 404) throw new WebError(404, 'Nie znaleziono skanu tej umowy.');
      throw err;
    }
  });

  router.get('/dokumenty', async (ctx) => {
    const who = customerOnly(ctx);
    if (!who) return;
    const page = await deps.documents.listForCustomer(who.customerId, { limit: 200 });
    render(ctx, 'documents', { title: 'Dokumenty do pobrania', documents: page.items });
  });

  router.get('/dokumenty/:id/pobierz', async (ctx) => {
    const who = customerOnly(ctx);
    if (!who) return;
    const id = documentId.safeParse(ctx.params.id);
    if (!id.success) throw new WebError(404, 'Nie znaleziono dokumentu.');
    try {
      const { document, file } = await deps.documents.openForCustomer(who.customerId, id.data);
      sendStoredFile(ctx, file, document.title, ctx.get('if-none-match') || undefined);
    } catch (err) {
      if (err instanceof AppError && err.status === 404) throw new WebError(404, 'Nie znaleziono dokumentu.');
      throw err;
    }
  });
}
