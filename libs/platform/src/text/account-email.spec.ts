import { normalizeAccountEmail } from './account-email.js';

describe('normalizeAccountEmail', () => {
  it('makes composed and decomposed spellings, and any letter case, one address', () => {
    const composed = '\u00e9va@example.com';
    const decomposed = 'e\u0301va@example.com';
    expect(normalizeAccountEmail(composed)).toBe(normalizeAccountEmail(decomposed));
    expect(normalizeAccountEmail(' \u00c9VA@Example.COM ')).toBe(composed);
  });

  it.each([
    ['a zero-width space', 'ann\u200b@example.com'],
    ['a right-to-left override', 'ann\u202e@example.com'],
    ['a no-break space', 'ann\u00a0smith@example.com'],
    ['a space', 'ann smith@example.com'],
    ['a control character', 'ann\u0007@example.com'],
    ['a line break', 'ann\n@example.com'],
  ])('refuses an address with %s inside', (_, email) => {
    expect(normalizeAccountEmail(email)).toBeNull();
  });
});
