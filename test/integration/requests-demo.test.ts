import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEMO_CUSTOMER, seedDemoData } from '../../src/demo/seedDemo.js';
import { loginAs } from '../helpers/factories.js';
import { startTestService, type TestService } from '../helpers/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

it('gives the demo customer one answered complaint, and the office sees it', async () => {
  expect(await seedDemoData(svc.deps, pino({ level: 'silent' }))).toBe(true);
  const token = await loginAs(svc, DEMO_CUSTOMER.login, DEMO_CUSTOMER.password);
  const list = await svc.request('GET', '/api/requests', { token });
  expect(list.status).toBe(200);
  expect(list.body.items).toHaveLength(1);
  const [item] = list.body.items;
  expect(item).toMatchObject({ kind: 'complaint', status: 'answered', replyCount: 1 });
  expect(item.number).toMatch(/^ZG\/\d{4}\/000001$/);
  const detail = await svc.request('GET', `/api/requests/${item.id}`, { token });
  expect(detail.body.invoiceNumber).toMatch(/^FV\//);
  expect(detail.body.replies[0].message).toContain('Faktura jest poprawna');

  await svc.deps.notices.deliverDue({ budgetMs: 5_000 });
  const mail = svc.smtp.messages.find((m) => m.subject === `Odpowiedź na zgłoszenie ${item.number}`);
  expect(mail?.to).toEqual(['jan.kowalski@example.com']);
});
