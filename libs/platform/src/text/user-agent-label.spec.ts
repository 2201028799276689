import { describe, expect, it } from '@jest/globals';
import { userAgentLabel } from './user-agent-label.js';

describe('userAgentLabel', () => {
  it.each([
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      'Safari on iPhone',
    ],
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36', 'Chrome 156 on Linux'],
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
      'Safari on macOS',
    ],
    [
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
      'Chrome 126 on Pixel 8',
    ],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0', 'Firefox 128 on Windows'],
    ['MyApp/1.2 (iPhone; iOS 17.5; Scale/3.00)', 'MyApp on iPhone'],
    ['okhttp/4.12.0', 'okhttp'],
  ])('names %s as %s', (userAgent, label) => {
    expect(userAgentLabel(userAgent)).toBe(label);
  });

  it('says nothing for a missing, empty or meaningless header', () => {
    expect(userAgentLabel(null)).toBeNull();
    expect(userAgentLabel('   ')).toBeNull();
    expect(userAgentLabel('!!!')).toBeNull();
  });

  it('keeps a label short whatever the header holds', () => {
    expect(userAgentLabel(`${'A'.repeat(39)}/1 (iPhone; iOS 17.5)`)!.length).toBeLessThanOrEqual(80);
  });
});
