import { describe, expect, it } from 'vitest';
import { compileEndpoints, inferTemplate } from '../../../control-plane/src/compare/endpoint.js';

describe('endpoint templates', () => {
  it('collapses numeric, uuid, hex and id-like segments to {id}', () => {
    expect(inferTemplate('/users/42')).toBe('/users/{id}');
    expect(inferTemplate('/users/42/orders/7?page=2')).toBe('/users/{id}/orders/{id}');
    expect(inferTemplate('/carts/3f2b8c1e-9a4d-4e6f-8b2a-1c3d5e7f9a0b')).toBe('/carts/{id}');
    expect(inferTemplate('/blobs/deadbeef0042')).toBe('/blobs/{id}');
    expect(inferTemplate('/charges/ch_3MqLk2eZvKYlo2C1')).toBe('/charges/{id}');
    expect(inferTemplate('/objects/01HZX3J5K8M9N2P4Q6R7S8T9V0')).toBe('/objects/{id}');
  });

  it('keeps words, versions and short codes', () => {
    expect(inferTemplate('/api/v2/users/me')).toBe('/api/v2/users/me');
    expect(inferTemplate('/oauth2/token')).toBe('/oauth2/token');
    expect(inferTemplate('/')).toBe('/');
    expect(inferTemplate('/health/')).toBe('/health');
  });

  it('prefers policy templates, method-specific ones first', () => {
    const r = compileEndpoints(['/users/{id}', 'POST /refunds/{id}', '/refunds/{id}', '/files/**']);
    expect(r.resolve('get', '/users/alice')).toBe('GET /users/{id}');
    expect(r.resolve('POST', '/refunds/r-1')).toBe('POST /refunds/{id}');
    expect(r.resolve('GET', '/refunds/r-1')).toBe('GET /refunds/{id}');
    expect(r.resolve('GET', '/files/a/b/c.txt')).toBe('GET /files/**');
    expect(r.resolve('DELETE', '/orders/17')).toBe('DELETE /orders/{id}');
  });
});
