import type { AppConfig } from '@app/platform';

/**
 * The API's external base URL for the transmitter's metadata and poll endpoints: PUBLIC_URL, or
 * (outside production) the request's own scheme and host, as the RFC 8414 metadata does.
 */
export function transmitterBaseUrl(config: AppConfig, request: { protocol: string; host: string }): string {
  return config.publicUrl ?? `${request.protocol}://${request.host}`;
}

/** RFC 8936: the stream's poll endpoint. */
export function pollEndpointOf(base: string, streamId: string): string {
  return `${base}/ssf/poll/${streamId}`;
}
