import type { FieldError } from '@app/platform';
import type { SsfDeliveryMethod, SsfStreamEntity, SsfStreamSettings } from '@app/persistence';
import { EVENTS_SUPPORTED, POLL_DELIVERY, PUSH_DELIVERY } from '../events/ssf-event-types.js';

/** SSF 1.0 §8.1.1: a stream's configuration as the management API reads and writes it. */
export interface StreamConfiguration {
  readonly stream_id: string;
  readonly iss: string;
  readonly aud: string;
  readonly delivery: { readonly method: SsfDeliveryMethod; readonly endpoint_url: string; readonly authorization_header?: string };
  readonly events_supported: readonly string[];
  readonly events_requested: readonly string[];
  readonly events_delivered: readonly string[];
  readonly description?: string;
}

/** What a parsed create, update or replace asks for. */
export interface StreamChange {
  /** Update and replace: the stream; create: none. */
  readonly streamId: string | null;
  readonly settings: SsfStreamSettings;
}

/** Where the transmitter's own values come from, to hold a request's read-only members to them. */
export interface TransmitterFacts {
  readonly issuer: string;
  readonly audience: string;
  /** Outside production a push endpoint may be plain http (a receiver on localhost). */
  readonly production: boolean;
}

const MAX_EVENTS_REQUESTED = 50;
const MAX_URI_LENGTH = 200;
const MAX_DESCRIPTION = 200;
const MAX_ENDPOINT_URL = 2000;
const MAX_AUTHORIZATION = 1000;
/** Hosts a push endpoint may reach over plain http in production. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A header value: visible ASCII and spaces, no line breaks (a header cannot be smuggled in). */
const HEADER_VALUE = /^[\x21-\x7e][\x20-\x7e]*$/;

/** Receiver-supplied members (SSF 1.0 §8.1.1), the transmitter-supplied ones a receiver may echo, and nothing else. */
const RECEIVER_SUPPLIED = ['delivery', 'events_requested', 'description'];
const TRANSMITTER_SUPPLIED = ['stream_id', 'iss', 'aud', 'events_supported', 'events_delivered'];

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Whether `value` is a stream id this transmitter could have issued (a UUID). */
export function isStreamId(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/**
 * Reads a create (POST), update (PATCH: only the members given change) or replace (PUT: every
 * receiver-supplied member is the request's) of a stream's configuration; the refused members
 * as field errors (400), never a 500. Transmitter-supplied members are read-only: a receiver may
 * send them back as it read them, but not change them.
 */
export function parseStreamChange(
  body: unknown,
  mode: 'create' | 'update' | 'replace',
  facts: TransmitterFacts,
  current?: StreamConfiguration,
): { change: StreamChange } | { errors: FieldError[] } {
  const errors: FieldError[] = [];
  if (!isObject(body)) return { errors: [{ field: '', message: 'must be a JSON object' }] };
  for (const key of Object.keys(body)) {
    if (!RECEIVER_SUPPLIED.includes(key) && !TRANSMITTER_SUPPLIED.includes(key))
      errors.push({ field: key, message: 'is not a stream property' });
  }
  let streamId: string | null = null;
  if (mode === 'create') {
    if ('stream_id' in body) errors.push({ field: 'stream_id', message: 'is assigned by the transmitter' });
  } else if (!isStreamId(body.stream_id)) {
    errors.push({ field: 'stream_id', message: 'must be the id of one of your streams' });
  } else {
    streamId = body.stream_id;
  }
  const readOnly: Record<string, unknown> = {
    iss: facts.issuer,
    aud: current?.aud ?? facts.audience,
    events_supported: EVENTS_SUPPORTED,
    ...(current ? { events_delivered: current.events_delivered } : {}),
  };
  for (const [key, expected] of Object.entries(readOnly)) {
    if (key in body && JSON.stringify(body[key]) !== JSON.stringify(expected))
      errors.push({ field: key, message: 'is set by the transmitter' });
  }
  if (mode === 'create' && 'events_delivered' in body) errors.push({ field: 'events_delivered', message: 'is set by the transmitter' });

  const base = mode === 'update' && current ? settingsOf(current) : undefined;
  const delivery = 'delivery' in body || !base ? parseDelivery(body.delivery, facts, errors) : base;
  const eventsRequested =
    'events_requested' in body || !base
      ? parseEventsRequested(body.events_requested, errors)
      : (JSON.parse(base.eventsRequested) as string[]);
  let description: string | null = base?.description ?? null;
  if ('description' in body || !base) {
    description = null;
    if (body.description !== undefined && body.description !== null) {
      if (typeof body.description !== 'string' || body.description.length > MAX_DESCRIPTION)
        errors.push({ field: 'description', message: `must be a string of at most ${MAX_DESCRIPTION} characters` });
      else description = body.description;
    }
  }
  if (errors.length > 0 || !delivery) return { errors };
  return {
    change: {
      streamId,
      settings: {
        deliveryMethod: delivery.deliveryMethod,
        endpointUrl: delivery.endpointUrl,
        authorizationHeader: delivery.authorizationHeader,
        eventsRequested: JSON.stringify(eventsRequested),
        eventsDelivered: JSON.stringify(EVENTS_SUPPORTED.filter((uri) => eventsRequested.includes(uri))),
        description,
      },
    },
  };
}

type Delivery = Pick<SsfStreamSettings, 'deliveryMethod' | 'endpointUrl' | 'authorizationHeader'>;

/** SSF 1.0 §8.1.1 `delivery`; absent: poll (the receiver then needs no endpoint of its own). */
function parseDelivery(value: unknown, facts: TransmitterFacts, errors: FieldError[]): Delivery | undefined {
  if (value === undefined) return { deliveryMethod: POLL_DELIVERY, endpointUrl: null, authorizationHeader: null };
  if (!isObject(value)) {
    errors.push({ field: 'delivery', message: 'must be an object with a method' });
    return undefined;
  }
  const problems = errors.length;
  for (const key of Object.keys(value)) {
    if (!['method', 'endpoint_url', 'authorization_header'].includes(key))
      errors.push({ field: `delivery.${key}`, message: 'is not a delivery property' });
  }
  if (value.method === POLL_DELIVERY) {
    // The poll endpoint is the transmitter's: a receiver may echo it, never choose it.
    if (value.authorization_header !== undefined)
      errors.push({ field: 'delivery.authorization_header', message: 'is for push delivery only' });
    return errors.length > problems ? undefined : { deliveryMethod: POLL_DELIVERY, endpointUrl: null, authorizationHeader: null };
  }
  if (value.method !== PUSH_DELIVERY) {
    errors.push({ field: 'delivery.method', message: `must be ${PUSH_DELIVERY} (push) or ${POLL_DELIVERY} (poll)` });
    return undefined;
  }
  const endpointUrl = parseEndpointUrl(value.endpoint_url, facts.production);
  if (endpointUrl === undefined)
    errors.push({
      field: 'delivery.endpoint_url',
      message: `must be an ${facts.production ? 'https (http only to localhost)' : 'http(s)'} URL of at most ${MAX_ENDPOINT_URL} characters, without credentials or fragment`,
    });
  let authorizationHeader: string | null = null;
  if (value.authorization_header !== undefined) {
    if (
      typeof value.authorization_header !== 'string' ||
      value.authorization_header.length > MAX_AUTHORIZATION ||
      !HEADER_VALUE.test(value.authorization_header)
    )
      errors.push({
        field: 'delivery.authorization_header',
        message: `must be a header value of at most ${MAX_AUTHORIZATION} printable ASCII characters`,
      });
    else authorizationHeader = value.authorization_header;
  }
  return errors.length > problems || endpointUrl === undefined
    ? undefined
    : { deliveryMethod: PUSH_DELIVERY, endpointUrl, authorizationHeader };
}

function parseEndpointUrl(value: unknown, production: boolean): string | undefined {
  if (typeof value !== 'string' || value.length > MAX_ENDPOINT_URL) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (!['https:', 'http:'].includes(url.protocol) || url.username !== '' || url.password !== '' || url.hash !== '') return undefined;
  // As for the security webhook: plain http in production only to this host (a sidecar).
  if (production && url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  return url.href;
}

function parseEventsRequested(value: unknown, errors: FieldError[]): string[] {
  if (value === undefined) return [];
  if (
    !Array.isArray(value) ||
    value.length > MAX_EVENTS_REQUESTED ||
    !value.every((uri) => typeof uri === 'string' && uri.length > 0 && uri.length <= MAX_URI_LENGTH)
  ) {
    errors.push({
      field: 'events_requested',
      message: `must be an array of at most ${MAX_EVENTS_REQUESTED} event-type URIs (strings of at most ${MAX_URI_LENGTH} characters)`,
    });
    return [];
  }
  return [...new Set(value as string[])];
}

function settingsOf(configuration: StreamConfiguration): SsfStreamSettings {
  const push = configuration.delivery.method === PUSH_DELIVERY;
  return {
    deliveryMethod: configuration.delivery.method,
    endpointUrl: push ? configuration.delivery.endpoint_url : null,
    authorizationHeader: push ? (configuration.delivery.authorization_header ?? null) : null,
    eventsRequested: JSON.stringify(configuration.events_requested),
    eventsDelivered: JSON.stringify(configuration.events_delivered),
    description: configuration.description ?? null,
  };
}

/** The one mapper from a stored stream to what the management API answers. */
export function toStreamConfiguration(stream: SsfStreamEntity, issuer: string, pollEndpoint: string): StreamConfiguration {
  const push = stream.deliveryMethod === PUSH_DELIVERY;
  return {
    stream_id: stream.id,
    iss: issuer,
    aud: stream.audience,
    delivery: {
      method: stream.deliveryMethod,
      endpoint_url: push ? (stream.endpointUrl ?? '') : pollEndpoint,
      ...(push && stream.authorizationHeader !== null ? { authorization_header: stream.authorizationHeader } : {}),
    },
    events_supported: EVENTS_SUPPORTED,
    events_requested: JSON.parse(stream.eventsRequested) as string[],
    events_delivered: JSON.parse(stream.eventsDelivered) as string[],
    ...(stream.description !== null ? { description: stream.description } : {}),
  };
}
