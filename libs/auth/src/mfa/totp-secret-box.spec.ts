import { AppConfig } from '@app/platform';
import { TotpSecretBox } from './totp-secret-box.js';

const OLD = 'the-old-static-secret-of-at-least-32-bytes!!';
const NEW = 'the-new-static-secret-of-at-least-32-bytes!!';
const box = (env: Record<string, string>) => new TotpSecretBox(AppConfig.fromEnv({ DATABASE_URL: 'sqlite::memory:', ...env }));

describe('TotpSecretBox', () => {
  it('opens what it sealed, for that account only', () => {
    const current = box({ JWT_SECRET: OLD });
    const sealed = current.seal('user-1', 'JBSWY3DPEHPK3PXP');
    expect(current.open('user-1', sealed)).toBe('JBSWY3DPEHPK3PXP');
    expect(current.open('user-2', sealed)).toBeNull();
  });

  it('after JWT_SECRET changes, still opens secrets sealed under JWT_PREVIOUS_SECRET (and seals under the new one)', () => {
    const sealedBefore = box({ JWT_SECRET: OLD }).seal('user-1', 'JBSWY3DPEHPK3PXP');
    expect(box({ JWT_SECRET: NEW }).open('user-1', sealedBefore)).toBeNull();
    const changed = box({ JWT_SECRET: NEW, JWT_PREVIOUS_SECRET: OLD });
    expect(changed.open('user-1', sealedBefore)).toBe('JBSWY3DPEHPK3PXP');
    const sealedAfter = changed.seal('user-1', 'JBSWY3DPEHPK3PXP');
    expect(box({ JWT_SECRET: NEW }).open('user-1', sealedAfter)).toBe('JBSWY3DPEHPK3PXP');
  });

  it('with managed keys, derives from KEY_ENCRYPTION_SECRET (a rotation changes nothing)', () => {
    const secret = 'key-encryption-secret-of-at-least-32-bytes!!';
    const sealed = box({ KEY_ENCRYPTION_SECRET: secret }).seal('user-1', 'JBSWY3DPEHPK3PXP');
    expect(box({ KEY_ENCRYPTION_SECRET: secret, JWT_KEY_ROTATION: '1d' }).open('user-1', sealed)).toBe('JBSWY3DPEHPK3PXP');
    expect(box({ KEY_ENCRYPTION_SECRET: `${secret}x` }).open('user-1', sealed)).toBeNull();
  });
});
