import { LinkTokenInvalid } from '@app/accounts';

/** Paths of the pages mailed links land on: their responses send no Referer at all (the token is in the URL). */
export const LINK_LANDING_PATHS = ['/reset-password', '/verify-email', '/confirm-email'];

/** The `token` of a mailed link's query, as the page's hidden field carries it; anything unusable is the invalid-link page (400). */
export function linkTokenOf(token: unknown): string {
  if (typeof token !== 'string' || token.length === 0 || token.length > 512) throw new LinkTokenInvalid();
  return token;
}
