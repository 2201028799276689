export { RevocationFeedModule } from './revocation-feed.module.js';
export { REVOCATION_FEED_SECURITY_SCHEME } from './revocation-feed-security-scheme.js';
