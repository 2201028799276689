import { safeNextPath } from './sign-in-required.error.js';

describe('safeNextPath', () => {
  it.each(['/devices', '/admin/users?email=a%40b', '/activity', '/devices?done=renamed#top', '/%C4%81'])(
    'keeps the local path %p',
    (path) => {
      expect(safeNextPath(path)).toBe(path);
    },
  );

  it.each([
    'https://evil.example',
    '//evil.example/x',
    '/\\evil.example',
    'javascript:alert(1)',
    'devices',
    '',
    '/ a',
    '/ā',
    '/devices\u0000',
    '/devices\r\nSet-Cookie: x=1',
    '/\tevil',
    '/a\u007f',
    '/a\u0085',
    '/' + 'a'.repeat(512),
    ['/devices'],
    42,
    undefined,
  ])('refuses %p', (path) => {
    expect(safeNextPath(path)).toBeUndefined();
  });
});
