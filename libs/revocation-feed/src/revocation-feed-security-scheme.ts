import type { SecuritySchemeObject } from '@nestjs/swagger';

/** The OpenAPI security scheme of `GET /revocations`: the feed's own shared secret. */
export const REVOCATION_FEED_SECURITY_SCHEME: Readonly<Record<'revocationFeedToken', SecuritySchemeObject>> = {
  revocationFeedToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'REVOCATION_FEED_TOKEN, shared with services outside this deployment.',
  },
};
