import { safeNextPath } from './sign-in-required.error.js';

describe('safeNextPath', () => {
  it.each(['/devices', '/admin/users?email=a%40b', '/activity'])('keeps the local path %p', (path) => {
    expect(safeNextPath(path)).toBe(path);
  });

  it.each(['https://evil.example', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)', 'devices', '', '/ a', 42, undefined])(
    'refuses %p',
    (path) => {
      expect(safeNextPath(path)).toBeUndefined();
    },
  );
});
