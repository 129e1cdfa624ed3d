import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { consumptionChart } from '../chart.js';
import { customerOnly, type PageDeps } from '../index.js';
import { render } from '../render.js';
import { setFlash } from '../session.js';
import { WebError } from '../state.js';
import { fieldErrors, formBody } from './auth.js';

const serialParam = z.string().min(1).max(64).regex(/^[\x21-\x7e]+$/);

const meterFilter = z.object({
  serial: z.string().trim().max(64, 'Numer jest za długi.').optional(),
  status: z.enum(['', 'active', 'removed'], { message: 'Wybierz status z listy.' }).optional(),
});

const readingForm = z.object({
  value: z
    .string()
    .trim()
    .regex(/^\d{1,9}([.,]\d{1,3})?$/, 'Podaj stan licznika w m³, np. 123,456.')
    .transform((v) => v.replace(',', '.')),
  readOn: z
    .string()
    .trim()
    .refine((v) => v === '' || /^\d{4}-\d{2}-\d{2}$/.test(v), 'Podaj datę w formacie RRRR-MM-DD.')
    .optional(),
});

const READING_ERRORS: Record<string, { field: string; text: string }> = {
  meter_removed: { field: 'value', text: 'Ten wodomierz został zdjęty i nie przyjmuje odczytów.' },
  reading_below_last: { field: 'value', text: 'Podany stan jest niższy niż ostatni odczyt. Sprawdź liczbę.' },
  reading_too_high: { field: 'value', text: 'Podany stan oznacza zużycie ponad 50 m³ na dobę. Sprawdź liczbę.' },
  reading_out_of_order: { field: 'value', text: 'Podany stan jest wyższy niż późniejszy odczyt tego wodomierza.' },
  reading_date_in_future: { field: 'readOn', text: 'Data odczytu nie może być z przyszłości.' },
  reading_date_too_old: { field: 'readOn', text: 'Można podać odczyt z ostatnich 7 dni.' },
  reading_already_reported: { field: 'value', text: 'Odczyt tego wodomierza został już dziś podany.' },
};

export function registerMeterPages(router: Router, { deps }: PageDeps): void {
  const meters = deps.meters;

  router.get('/wodomierze', async (ctx) => {
    const who = customerOnly(ctx);
    if (!who) return;
    const filter = { serial: typeof ctx.query.serial === 'string' ? ctx.query.serial : '', status: typeof ctx.query.status === 'string' ? ctx.query.status : '' };
    const parsed = meterFilter.safeParse(filter);
    const list = parsed.success
      ? await meters.metersOfCustomer(who.customerId, {
          serial: parsed.data.serial || undefined,
          status: parsed.data.status === 'active' || parsed.data.status === 'removed' ? parsed.data.status : undefined,
        })
      : [];
    render(ctx, 'meters', { title: 'Wodomierze', meters: list, filter, errors: parsed.success ? {} : fieldErrors(parsed.error) }, parsed.success ? 200 : 400);
  });

  async function renderMeter(ctx: Context, customerId: string, serial: string, form: { values: Record<string, string>; errors: Record<string, string> }, status = 200) {
    let meter;
    try {
      meter = await meters.meterOfCustomer(customerId, serial);
    } catch (err) {
      if (err instanceof AppError && err.status === 404) throw new WebError(404, 'Nie znaleziono takiego wodomierza na Twoim koncie.');
      throw err;
    }
    const [readings, consumption] = await Promise.all([
      meters.readings(customerId, serial, { limit: 24 }),
      meters.consumption(customerId, serial, 'month'),
    ]);
    render(
      ctx,
      'meter',
      {
        title: `Wodomierz ${meter.serialNumber}`,
        meter,
        readings: readings.items,
        consumption: [...consumption].sort((a, b) => (a.period < b.period ? 1 : -1)).slice(0, 12),
        chart: consumptionChart(consumption),
        form,
        today: deps.ledger.today(),
      },
      status,
    );
  }

  router.get('/wodomierze/:serial', async (ctx) => {
    const who = customerOnly(ctx);
    if (!who) return;
    const serial = serialParam.safeParse(ctx.params.serial);
    if (!serial.success) throw new WebError(404, 'Nie znaleziono takiego wodomierza na Twoim koncie.');
    await renderMeter(ctx, who.customerId, serial.data, { values: {}, errors: {} });
  });

  router.post('/wodomierze/:serial', async (ctx) => {
    const who = customerOnly(ctx);
    if (!who) return;
    const serial = serialParam.safeParse(ctx.params.serial);
    if (!serial.success) throw new WebError(404, 'Nie znaleziono takiego wodomierza na Twoim koncie.');
    const raw = formBody(ctx);
    const values = { value: typeof raw.value === 'string' ? raw.value : '', readOn: typeof raw.readOn === 'string' ? raw.readOn : '' };
    const parsed = readingForm.safeParse(values);
    if (!parsed.success) return renderMeter(ctx, who.customerId, serial.data, { values, errors: fieldErrors(parsed.error) }, 400);
    try {
      await meters.reportReading(who.customerId, serial.data, { value: parsed.data.value, readOn: parsed.data.readOn || undefined });
    } catch (err) {
      if (err instanceof AppError && (err.status === 422 || err.status === 409)) {
        const known = READING_ERRORS[err.code] ?? { field: 'value', text: 'Nie można przyjąć tego odczytu.' };
        return renderMeter(ctx, who.customerId, serial.data, { values, errors: { [known.field]: known.text } }, err.status);
      }
      if (err instanceof AppError && err.status === 404) throw new WebError(404, 'Nie znaleziono takiego wodomierza na Twoim koncie.');
      throw err;
    }
    setFlash(ctx, 'ok', 'Dziękujemy, odczyt został przyjęty. Uwzględnimy go w najbliższym rozliczeniu.');
    ctx.status = 303;
    ctx.redirect(`/wodomierze/${encodeURIComponent(serial.data)}`);
  });
}
