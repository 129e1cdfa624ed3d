import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMockSms, type MockSms } from '../../../mocks/sms/server.js';

let sms: MockSms;
let url: string;
beforeAll(async () => {
  sms = createMockSms({ token: 'sms-token-0123456789' });
  url = (await sms.listen(0, '127.0.0.1')).url;
});
afterAll(() => sms.close());

const send = (authorization?: string) =>
  fetch(`${url}/sms.do`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({ to: '48500100200', message: 'Test', from: 'Test', format: 'json' }),
  });

describe('SMS mock: the bearer token', () => {
  it('takes the right token and refuses a missing one, another of the same length, and a prefix of it', async () => {
    expect((await send('Bearer sms-token-0123456789')).status).toBe(200);
    for (const wrong of [undefined, 'Bearer sms-token-0123456788', 'Bearer sms-token-012345678', 'sms-token-0123456789']) {
      const res = await send(wrong);
      expect(res.status, String(wrong)).toBe(401);
    }
    expect(sms.messages).toHaveLength(1);
  });
});
