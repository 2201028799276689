import type { SchemaObject } from '@nestjs/swagger';
import { EVENTS_SUPPORTED, POLL_DELIVERY, PUSH_DELIVERY } from '../events/ssf-event-types.js';

// The OpenAPI shapes of the transmitter's documents (SSF 1.0 §7.1, §8.1; RFC 8936 §2).

const uris = (description: string): SchemaObject => ({ type: 'array', items: { type: 'string', format: 'uri' }, description });

export const TRANSMITTER_METADATA_SCHEMA: SchemaObject = {
  type: 'object',
  required: [
    'spec_version',
    'issuer',
    'jwks_uri',
    'delivery_methods_supported',
    'configuration_endpoint',
    'status_endpoint',
    'verification_endpoint',
    'authorization_schemes',
    'default_subjects',
  ],
  properties: {
    spec_version: { type: 'string', enum: ['1_0'] },
    issuer: { type: 'string', description: 'The `iss` of every SET (JWT_ISSUER).' },
    jwks_uri: { type: 'string', format: 'uri' },
    delivery_methods_supported: { type: 'array', items: { type: 'string', enum: [PUSH_DELIVERY, POLL_DELIVERY] } },
    configuration_endpoint: { type: 'string', format: 'uri' },
    status_endpoint: { type: 'string', format: 'uri' },
    verification_endpoint: { type: 'string', format: 'uri' },
    authorization_schemes: {
      type: 'array',
      items: { type: 'object', required: ['spec_urn'], properties: { spec_urn: { type: 'string' } } },
    },
    default_subjects: { type: 'string', enum: ['ALL'] },
  },
};

const DELIVERY_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['method'],
  properties: {
    method: { type: 'string', enum: [PUSH_DELIVERY, POLL_DELIVERY] },
    endpoint_url: { type: 'string', format: 'uri', description: "Push: the receiver's endpoint. Poll: the transmitter's, set by it." },
    authorization_header: { type: 'string', description: 'Push: the `Authorization` header the transmitter sends.' },
  },
};

export const STREAM_CONFIGURATION_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['stream_id', 'iss', 'aud', 'delivery', 'events_supported', 'events_requested', 'events_delivered'],
  properties: {
    stream_id: { type: 'string', format: 'uuid' },
    iss: { type: 'string' },
    aud: { type: 'string', description: "The receiver's audience: the `aud` of the stream's SETs." },
    delivery: DELIVERY_SCHEMA,
    events_supported: { ...uris('What this transmitter sends.'), example: EVENTS_SUPPORTED },
    events_requested: uris('What the receiver asked for.'),
    events_delivered: uris('What it gets: requested and supported.'),
    description: { type: 'string', maxLength: 200 },
  },
};

export const STREAM_REQUEST_SCHEMA: SchemaObject = {
  type: 'object',
  description:
    'Receiver-supplied members (`delivery`, `events_requested`, `description`); `stream_id` to update (PATCH) or replace (PUT). Transmitter-supplied members may be echoed unchanged.',
  properties: {
    stream_id: { type: 'string', format: 'uuid' },
    delivery: DELIVERY_SCHEMA,
    events_requested: { type: 'array', maxItems: 50, items: { type: 'string', maxLength: 200 } },
    description: { type: 'string', maxLength: 200 },
  },
};

export const STREAM_STATUS_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['stream_id', 'status'],
  properties: {
    stream_id: { type: 'string', format: 'uuid' },
    status: { type: 'string', enum: ['enabled', 'paused', 'disabled'] },
    reason: { type: 'string', maxLength: 200 },
  },
};

export const VERIFICATION_REQUEST_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['stream_id'],
  properties: { stream_id: { type: 'string', format: 'uuid' }, state: { type: 'string', maxLength: 1000 } },
};

export const POLL_REQUEST_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    ack: { type: 'array', maxItems: 1000, items: { type: 'string' }, description: 'jtis received: not offered again.' },
    setErrs: {
      type: 'object',
      additionalProperties: { type: 'object', required: ['err'], properties: { err: { type: 'string' }, description: { type: 'string' } } },
    },
    maxEvents: { type: 'integer', minimum: 0, maximum: 1000 },
    returnImmediately: { type: 'boolean', description: 'false (default): held up to 30 s until a SET is queued.' },
  },
};

export const POLL_RESPONSE_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['sets', 'moreAvailable'],
  properties: {
    sets: { type: 'object', additionalProperties: { type: 'string', description: 'A SET (compact JWS, `typ: secevent+jwt`).' } },
    moreAvailable: { type: 'boolean' },
  },
};
