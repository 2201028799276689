import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { DpopNonces } from './dpop-nonces.js';

const WINDOW = 30;
const T0 = Date.UTC(2026, 0, 1);
const KEY = randomBytes(32);

function noncesAt(clock: { ms: number }, key = KEY) {
  return new DpopNonces({ key, windowSeconds: WINDOW, now: () => clock.ms });
}

describe('DpopNonces', () => {
  it('accepts the current nonce, also on another instance with the same key', () => {
    const clock = { ms: T0 };
    const nonce = noncesAt(clock).current();
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{54}$/);
    expect(noncesAt(clock).isValid(nonce)).toBe(true);
  });

  it('rotates per window and accepts the previous window, not the one before', () => {
    const clock = { ms: T0 };
    const nonces = noncesAt(clock);
    const issued = nonces.current();
    clock.ms += WINDOW * 1000;
    expect(nonces.current()).not.toBe(issued);
    expect(nonces.isValid(issued)).toBe(true);
    clock.ms += WINDOW * 1000;
    expect(nonces.isValid(issued)).toBe(false);
    expect(nonces.lifetimeSeconds).toBe(2 * WINDOW);
  });

  it('refuses a nonce from the future', () => {
    const clock = { ms: T0 + WINDOW * 1000 };
    const future = noncesAt(clock).current();
    clock.ms = T0;
    expect(noncesAt(clock).isValid(future)).toBe(false);
  });

  it('refuses a nonce made with another key', () => {
    const clock = { ms: T0 };
    expect(noncesAt(clock).isValid(noncesAt(clock, randomBytes(32)).current())).toBe(false);
  });

  it('refuses a nonce whose window was changed to a valid one', () => {
    const clock = { ms: T0 };
    const old = Buffer.from(noncesAt(clock).current(), 'base64url');
    clock.ms += 2 * WINDOW * 1000;
    old.writeBigUInt64BE(old.readBigUInt64BE() + 2n);
    expect(noncesAt(clock).isValid(old.toString('base64url'))).toBe(false);
  });

  it('refuses malformed nonces without throwing', () => {
    const clock = { ms: T0 };
    const nonces = noncesAt(clock);
    const good = nonces.current();
    const lastChar = good.at(-1)!;
    const otherSpelling = good.slice(0, -1) + String.fromCharCode(lastChar.charCodeAt(0) + 1);
    for (const bad of [undefined, null, 42, {}, '', 'abc', `${good}=`, `${good}A`, good.slice(1), good.replace(/./, '+'), otherSpelling]) {
      expect(nonces.isValid(bad)).toBe(false);
    }
    fc.assert(fc.property(fc.string({ maxLength: 80 }), (input) => nonces.isValid(input) === (input === good)));
  });

  it('refuses keys shorter than 32 bytes and odd windows', () => {
    expect(() => new DpopNonces({ key: randomBytes(31), windowSeconds: WINDOW, now: Date.now })).toThrow(RangeError);
    expect(() => new DpopNonces({ key: KEY, windowSeconds: 0, now: Date.now })).toThrow(RangeError);
  });
});
