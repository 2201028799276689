const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * The form in which two `htu` values are compared (RFC 9449 §4.3 step 9): query and fragment
 * dropped, then RFC 3986 §6.2.2 syntax-based and §6.2.3 scheme-based normalisation. The WHATWG
 * parser already lower-cases scheme and host, drops the default port, turns an empty path into
 * "/" and removes dot segments; what remains is §6.2.2.1/§6.2.2.2: percent-encodings in upper
 * case, and unreserved characters decoded. Only http(s) URLs without userinfo qualify; anything
 * else is `null`, which matches nothing.
 */
export function normaliseHtu(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  // A target with credentials in it is not something a client legitimately signs for (RFC 9110 §4.2.4).
  if (url.username !== '' || url.password !== '') return null;
  const path = url.pathname.replace(/%[0-9A-Fa-f]{2}/g, (escape) => {
    const char = String.fromCharCode(parseInt(escape.slice(1), 16));
    return UNRESERVED.test(char) ? char : escape.toUpperCase();
  });
  return `${url.protocol}//${url.host}${path}`;
}
