import { UAParser } from 'ua-parser-js';

/** Browsers whose version follows the system's, so a version number says nothing more. */
const VERSIONLESS = new Set(['Safari']);
/** Systems as people name them (ua-parser-js keeps the historical names). */
const SYSTEM_NAMES: Record<string, string> = { 'Mac OS': 'macOS', 'Chromium OS': 'ChromeOS' };
/** A device's product token ("MyApp/1.2 …", "okhttp/4.12"): the name an app or library sends. */
const PRODUCT_TOKEN = /^([A-Za-z][\w.-]{0,39})\//;
const MAX_LABEL_LENGTH = 80;

/**
 * A device named the way people recognise it, from its User-Agent, by ua-parser-js:
 * "Safari on iPhone", "Chrome 156 on Linux", "MyApp on iPhone", "okhttp". Null when the header
 * says nothing usable. The raw string stays available beside it (a parser can be wrong).
 */
export function userAgentLabel(userAgent: string | null | undefined): string | null {
  if (!userAgent?.trim()) return null;
  const { browser, os, device } = new UAParser(userAgent).getResult();
  const place =
    device.model && (device.type === 'mobile' || device.type === 'tablet')
      ? device.model
      : os.name
        ? (SYSTEM_NAMES[os.name] ?? os.name)
        : null;
  const browserName = browser.name?.replace(/^Mobile /, '');
  const what = browserName
    ? VERSIONLESS.has(browserName) || !browser.major
      ? browserName
      : `${browserName} ${browser.major}`
    : (PRODUCT_TOKEN.exec(userAgent)?.[1] ?? null);
  const label = what && place ? `${what} on ${place}` : (what ?? place);
  return label ? label.slice(0, MAX_LABEL_LENGTH) : null;
}
