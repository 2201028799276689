/**
 * RFC 9449 §4.3: `htu` is compared with the request's URL without query and fragment, after
 * syntax- and scheme-based normalisation (RFC 3986 §6.2.2–6.2.3): the WHATWG URL parser
 * lower-cases scheme and host, drops the default port and resolves dot segments. Null for
 * anything that is not an absolute http(s) URL.
 */
export function normaliseHtu(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  return `${url.protocol}//${url.host}${url.pathname}`;
}
