// The blast-radius map is bounded: service names come from the filters.
import { describe, expect, it } from 'vitest';
import { BlastRadius, MAX_SERVICES } from '../../../control-plane/src/reports/blast-radius.js';
import { egress } from '../../fixtures/halves.js';

describe('BlastRadius memory', () => {
  it('bounds the number of services it tracks (service names come from the filters)', () => {
    const b = new BlastRadius();
    for (let i = 0; i < MAX_SERVICES + 50; i++) b.add(egress({ service: `svc-${i}`, destination: 'x.example' }));
    const services = Object.keys((b.toJSON() as { services: Record<string, unknown> }).services);
    expect(services.length).toBeLessThanOrEqual(MAX_SERVICES);
    expect(b.stats().dropped).toBe(50);
    // a service already known keeps being counted
    b.add(egress({ service: 'svc-0', destination: 'x.example' }));
    expect(b.map(['svc-0']).services[0].total).toBe(2);
  });
});
