import type { SecuritySchemeObject } from '@nestjs/swagger';

/** The OpenAPI security scheme of stream management and poll: a receiver's own token. */
export const SSF_RECEIVER_SECURITY_SCHEME: Readonly<Record<'ssfReceiverToken', SecuritySchemeObject>> = {
  ssfReceiverToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'A Shared Signals receiver token, issued once by `npm run ssf -- add-receiver <name> <audience>` (RFC 6750).',
  },
};
