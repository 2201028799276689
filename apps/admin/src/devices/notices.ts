/** Messages after an action, chosen by a fixed code in the redirect (never user text). */
export function noticeFor(done: unknown, count: unknown): string | undefined {
  switch (done) {
    case 'revoked':
      return 'Device revoked. It is signed out within a second, everywhere.';
    case 'revoked-others': {
      const n = Number(count);
      return Number.isInteger(n) && n >= 0 ? `Signed out ${n} other device${n === 1 ? '' : 's'}.` : 'Signed out all other devices.';
    }
    case 'renamed':
      return 'Device renamed.';
    case 'identity-confirmed':
      return 'Thank you. You can go ahead now.';
    default:
      return undefined;
  }
}
