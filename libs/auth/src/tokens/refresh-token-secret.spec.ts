import { generateRefreshToken, hashRefreshToken, isWellFormedRefreshToken, openSuccessor, sealSuccessor } from './refresh-token-secret.js';

describe('refresh token secrets', () => {
  it('generates 256-bit base64url tokens that are all different', () => {
    const tokens = new Set(Array.from({ length: 1000 }, generateRefreshToken));
    expect(tokens.size).toBe(1000);
    for (const token of tokens) {
      expect(isWellFormedRefreshToken(token)).toBe(true);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    }
  });

  it('rejects malformed tokens without touching storage', () => {
    for (const token of ['', 'short', 'a'.repeat(44), `${'a'.repeat(42)}=`, `${'a'.repeat(42)}/`]) {
      expect(isWellFormedRefreshToken(token)).toBe(false);
    }
  });

  it('stores a hash that is not the token and is stable', () => {
    const token = generateRefreshToken();
    expect(hashRefreshToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashRefreshToken(token)).toBe(hashRefreshToken(token));
    expect(hashRefreshToken(token)).not.toContain(token);
  });

  it('opens a sealed successor only with its parent token', () => {
    const parent = generateRefreshToken();
    const successor = generateRefreshToken();
    const sealed = sealSuccessor(parent, successor);
    expect(sealed).not.toContain(successor);
    expect(openSuccessor(parent, sealed)).toBe(successor);
    expect(openSuccessor(generateRefreshToken(), sealed)).toBeNull();
    expect(openSuccessor(parent, `${sealed.slice(0, -2)}AA`)).toBeNull();
  });
});
