import type { CustomerReportView, FedMeter, MeterView, Page, ReadingView } from './service.js';

/** Answers of the meters module: only the fields listed here go out. */

export function presentFedMeter(m: FedMeter) {
  const b = m.body;
  return {
    serialNumber: m.serialNumber,
    customerNumber: m.customerNumber,
    propertyId: m.propertyId,
    kind: b.kind,
    status: b.status,
    owner: b.owner,
    registeredOn: b.registeredOn,
    installedOn: b.installedOn,
    removedOn: b.removedOn ?? null,
    legalisedOn: b.legalisedOn,
    legalisationValidUntil: b.legalisationValidUntil,
    diameterMm: b.diameterMm ?? null,
    tariff: { code: b.tariff.code, name: b.tariff.name },
  };
}

export function presentReading(r: ReadingView) {
  return { date: r.readOn, type: r.type, value: r.value, consumption: r.consumption, dailyAverage: r.dailyAverage };
}

export function presentMeter(m: MeterView) {
  return {
    number: m.serialNumber,
    kind: m.kind,
    status: m.status,
    owner: m.owner,
    registeredOn: m.registeredOn,
    installedOn: m.installedOn,
    removedOn: m.removedOn,
    legalisedOn: m.legalisedOn,
    legalisationValidUntil: m.legalisationValidUntil,
    legalisationDaysLeft: m.legalisationDaysLeft,
    legalisationWarning: m.legalisationWarning,
    diameterMm: m.diameterMm,
    tariff: { code: m.tariff.code, name: m.tariff.name },
    property: { id: m.property.id, address: { ...m.property.address } },
    lastReading: m.lastReading ? presentReading(m.lastReading) : null,
  };
}

export function presentReadingPage(page: Page<ReadingView>) {
  return { items: page.items.map(presentReading), nextCursor: page.nextCursor };
}

export function presentCustomerReports(page: Page<CustomerReportView>) {
  return {
    items: page.items.map((r) => ({
      meterSerial: r.meterSerial,
      customerNumber: r.customerNumber,
      propertyId: r.propertyId,
      readOn: r.readOn,
      type: 'customer' as const,
      value: r.value,
      consumption: r.consumption,
      reportedAt: r.reportedAt.toISOString(),
    })),
    nextCursor: page.nextCursor,
  };
}
