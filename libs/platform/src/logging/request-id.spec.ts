import { REQUEST_ID_PATTERN, requestIdOf } from './request-id.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('requestIdOf', () => {
  it.each(['abc', 'req-42', 'A.b_c-9', '0b6c2f1e-1d3a-4e5f-8a9b-0c1d2e3f4a5b', 'x'.repeat(128)])(
    'keeps the client’s well-formed id %p',
    (id) => {
      expect(requestIdOf({ headers: { 'x-request-id': id } })).toBe(id);
    },
  );

  it.each(['', ' ', 'a b', 'id"quoted', 'line\nbreak', 'x'.repeat(129), 'ünïcode', '<script>', 'a;b'])(
    'replaces %p by a new UUID',
    (id) => {
      const generated = requestIdOf({ headers: { 'x-request-id': id } });
      expect(generated).toMatch(UUID);
      expect(generated).toMatch(REQUEST_ID_PATTERN);
    },
  );

  it('generates a fresh UUID per request without a header, and for a repeated header', () => {
    const first = requestIdOf({ headers: {} });
    expect(first).toMatch(UUID);
    expect(requestIdOf({ headers: {} })).not.toBe(first);
    expect(requestIdOf({ headers: { 'x-request-id': ['a', 'b'] as unknown as string } })).toMatch(UUID);
  });
});
