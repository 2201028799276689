import { describe, expect, it } from '@jest/globals';
import { MailTemplates } from './mail-templates.js';

const templates = new MailTemplates('device-auth');

describe('MailTemplates', () => {
  it('puts the link in both parts and names the product', () => {
    const mail = templates.render('ann@example.com', {
      kind: 'password_reset',
      link: 'https://dash.example/reset?token=abc',
      validMinutes: 30,
    });
    expect(mail.to).toBe('ann@example.com');
    expect(mail.subject).toBe('Reset your password');
    expect(mail.text).toContain('Choose a new password: https://dash.example/reset?token=abc');
    expect(mail.text).toContain('for 30 minutes');
    expect(mail.html).toContain('<a href="https://dash.example/reset?token&#x3D;abc">Choose a new password</a>');
    expect(mail.text).toContain('— device-auth');
  });

  it('escapes what users typed in the HTML part, and keeps it as typed in the text part', () => {
    const deviceName = '<img src=x onerror=alert(1)> & "Ann\'s"';
    const mail = templates.render('ann@example.com', {
      kind: 'new_device',
      deviceName,
      platform: 'ios',
      at: '2026-12-05 10:00 UTC',
      ip: '203.0.113.7',
      devicesLink: 'https://dash.example/devices?x="><script>',
    });
    expect(mail.html).not.toContain('<img');
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt; &amp; &quot;Ann&#x27;s&quot;');
    expect(mail.html).toContain('href="https://dash.example/devices?x&#x3D;&quot;&gt;&lt;script&gt;"');
    expect(mail.text).toContain(`New sign-in: ${deviceName}, ios, 2026-12-05 10:00 UTC, 203.0.113.7.`);
    expect(mail.subject).toBe(`New sign-in: ${deviceName}`);
  });

  it('refuses to render a template whose value is missing (strict), rather than mail an empty link', () => {
    expect(() => templates.render('ann@example.com', { kind: 'verify_email' } as never)).toThrow();
  });
});
