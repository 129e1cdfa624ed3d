/**
 * `npx tsx bench/pdf.ts` (or after `npm run build`, `node dist/bench/pdf.js`): the time to
 * generate the PDF of 200 different invoices (1 to 24 lines each, some with a KSeF number, some
 * corrections), one after another in one process, after one warm-up document that parses the
 * fonts. Printed: p50, p90, p99 and max of the wall time and p50, p99 of the CPU time (less
 * sensitive to other processes) in milliseconds, the mean size, and the load average,
 * since the figures mean little on a machine busy with other work. BENCH_INVOICES changes the count.
 */
import os from 'node:os';
import { renderInvoicePdf, type InvoicePdfInput } from '../src/invoices/pdf.js';

const COUNT = Number(process.env.BENCH_INVOICES ?? 200);

const seller = {
  name: 'PWiK Sp. z o.o. w Oświęcimiu',
  street: 'ul. Ks. Jana Skarbka 1',
  postCode: '32-600',
  city: 'Oświęcim',
  id: '5490012345',
  account: '61109010140000071219812874',
};

function invoice(i: number): InvoicePdfInput {
  const lineCount = 1 + (i % 24);
  const lines = Array.from({ length: lineCount }, (_, k) => ({
    description: k % 2 ? `Odprowadzanie ścieków, okres ${k + 1}` : `Dostawa wody, okres ${k + 1}`,
    quantity: `${(k % 13) + 1}.000`,
    unit: 'm3',
    unitPrice: k % 2 ? '8.12' : '5.94',
    amount: k % 2 ? `${(((k % 13) + 1) * 8.12).toFixed(2)}` : `${(((k % 13) + 1) * 5.94).toFixed(2)}`,
  }));
  const correction = i % 10 === 9;
  return {
    invoice: {
      invoiceNumber: `FV/2026/11/${String(10000 + i)}`,
      kind: correction ? 'correction' : 'invoice',
      issueDate: '2026-11-17',
      dueDate: '2026-12-02',
      amount: correction ? '-12.34' : '1234.56',
      currency: 'PLN',
      lines,
      ksefNumber: i % 3 === 0 ? '5490012345-20261117-8A1B2C3D4E5F-7C' : null,
      correctedInvoiceNumber: correction ? `FV/2026/10/${String(10000 + i)}` : null,
      paid: correction ? '0.00' : '234.56',
      outstanding: correction ? '0.00' : '1000.00',
      customerNumber: String(100000 + i),
      propertyNumber: `P-${i}`,
    },
    buyer: { name: `Zażółć Gęślą Jaźń ${i}`, address: { street: 'ul. Żółkiewskiego 5', postalCode: '32-600', city: 'Oświęcim' } },
    property: { number: `P-${i}`, address: { street: 'ul. Zamkowa 12', postalCode: '32-600', city: 'Oświęcim' } },
    seller,
  };
}

const warmStart = performance.now();
await renderInvoicePdf(invoice(0));
const warmUp = performance.now() - warmStart;

const times: number[] = [];
const cpu: number[] = [];
let bytes = 0;
for (let i = 0; i < COUNT; i++) {
  const input = invoice(i);
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const pdf = await renderInvoicePdf(input);
  times.push(performance.now() - start);
  const used = process.cpuUsage(cpuStart);
  cpu.push((used.user + used.system) / 1000);
  bytes += pdf.length;
}
times.sort((a, b) => a - b);
cpu.sort((a, b) => a - b);
const at = (q: number, of = times) => of[Math.min(of.length - 1, Math.floor(q * of.length))]!.toFixed(1);
console.log(
  `invoice PDF x${COUNT}: p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, p99 ${at(0.99)} ms, max ${times[times.length - 1]!.toFixed(1)} ms; ` +
    `CPU time p50 ${at(0.5, cpu)} ms, p99 ${at(0.99, cpu)} ms; first document (fonts parsed) ${warmUp.toFixed(0)} ms; mean size ${Math.round(bytes / COUNT / 1024)} KiB; ` +
    `load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} cores`,
);
