import type { RequestService } from './service.js';

/**
 * The demo customer's answered complaint about an invoice, so the request pages and the office's
 * queue show a whole conversation (and the reply's e-mail lands in the demo inbox).
 */
export async function seedDemoRequests(requests: RequestService, demo: { customerId: string; login: string; invoiceNumber: string }): Promise<void> {
  const { request } = await requests.submit(
    { customerId: demo.customerId, login: demo.login },
    {
      kind: 'complaint',
      subject: `Reklamacja faktury ${demo.invoiceNumber}`,
      message:
        'Dzień dobry, na fakturze naliczono zużycie 9 m³, a według mojego odczytu wodomierza zużyłem w tym okresie około 6 m³. ' +
        'Proszę o sprawdzenie odczytu i ewentualną korektę faktury.',
      invoiceNumber: demo.invoiceNumber,
    },
    [],
  );
  await requests.reply(
    { login: 'biuro' },
    request.id,
    'Dzień dobry, sprawdziliśmy odczyt: inkasent odczytał stan wodomierza prawidłowo, a zużycie 9 m³ obejmuje także okres ' +
      'od poprzedniego odczytu szacunkowego. Faktura jest poprawna. W razie pytań zapraszamy do Biura Obsługi Klienta.',
  );
}
