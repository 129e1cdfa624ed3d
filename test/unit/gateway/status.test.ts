import { describe, expect, it } from 'vitest';
import { GATEWAY_STATUS_CODES, isFinalStatus, statusKind } from '../../../src/gateway/status.js';

describe('PayByNet status codes (SPEC 3.2)', () => {
  it('classifies every protocol code', () => {
    expect(GATEWAY_STATUS_CODES.map((c) => [c, statusKind(c), isFinalStatus(c)])).toEqual([
      [2101, 'pending', false],
      [2102, 'pending', false],
      [2201, 'expired', true],
      [2202, 'rejected', true],
      [2203, 'completed', true],
      [2301, 'expired', true],
      [2302, 'rejected', true],
      [2303, 'completed', true],
    ]);
  });

  it('refuses a code outside the protocol instead of guessing', () => {
    expect(() => statusKind(2204)).toThrow(RangeError);
    expect(() => isFinalStatus(0)).toThrow(RangeError);
  });
});
