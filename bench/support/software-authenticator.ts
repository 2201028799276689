import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

/**
 * A WebAuthn authenticator in software, for figure 12: a P-256 key pair made by node:crypto,
 * `none` attestation, real CBOR, real authenticator data (RP id hash, flags UP|UV(|AT), a
 * signature counter, attested credential data with the COSE key) and ES256 signatures (DER)
 * over authenticatorData ‖ SHA-256(clientDataJSON), as a browser and a platform authenticator
 * produce them. Nothing of the server's code is used. A copy of the API tests' one
 * (apps/api/test/support/software-authenticator.ts, less the forger only the tests need): the
 * bench is built without the tests.
 */
export class SoftwareAuthenticator {
  readonly credentialId: Buffer;
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  /** The signature counter of the last signature (the next one signs counter + 1 unless told otherwise). */
  counter = 0;
  /** The user handle the credential was created for. */
  private userHandle: string | undefined;

  constructor(credentialId: Buffer = randomBytes(32)) {
    this.credentialId = credentialId;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = privateKey;
    this.publicKey = publicKey;
  }

  get id(): string {
    return this.credentialId.toString('base64url');
  }

  /** `navigator.credentials.create()`: a discoverable credential with user verification. */
  register(
    options: PublicKeyCredentialCreationOptionsJSON,
    { origin, rpId = options.rp.id ?? '' }: { origin: string; rpId?: string },
  ): RegistrationResponseJSON {
    this.userHandle = options.user.id;
    const clientDataJSON = clientData('webauthn.create', options.challenge, origin);
    const authData = Buffer.concat([
      rpIdHash(rpId),
      Buffer.from([FLAG_UP | FLAG_UV | FLAG_AT]),
      uint32(this.counter),
      Buffer.alloc(16), // AAGUID: none
      uint16(this.credentialId.length),
      this.credentialId,
      this.coseKey(),
    ]);
    const attestationObject = cbor(
      new Map<CborValue, CborValue>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        attestationObject: attestationObject.toString('base64url'),
        transports: ['internal', 'hybrid'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** `navigator.credentials.get()`: an assertion, its counter one up (or `counter`). */
  assert(
    options: PublicKeyCredentialRequestOptionsJSON,
    { origin, rpId = options.rpId ?? '', counter }: { origin: string; rpId?: string; counter?: number },
  ): AuthenticationResponseJSON {
    this.counter = counter ?? this.counter + 1;
    const clientDataJSON = clientData('webauthn.get', options.challenge, origin);
    const authenticatorData = Buffer.concat([rpIdHash(rpId), Buffer.from([FLAG_UP | FLAG_UV]), uint32(this.counter)]);
    const signature = sign('sha256', Buffer.concat([authenticatorData, sha256(clientDataJSON)]), this.privateKey); // DER, as WebAuthn's ES256
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        authenticatorData: authenticatorData.toString('base64url'),
        signature: signature.toString('base64url'),
        ...(this.userHandle !== undefined ? { userHandle: this.userHandle } : {}),
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** The public key as a COSE_Key (RFC 9053): EC2, ES256, P-256, x, y. */
  private coseKey(): Buffer {
    const jwk = this.publicKey.export({ format: 'jwk' });
    return cbor(
      new Map<CborValue, CborValue>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
  }
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

const sha256 = (data: Buffer | string): Buffer => createHash('sha256').update(data).digest();
const rpIdHash = (rpId: string): Buffer => sha256(rpId);

function clientData(type: string, challenge: string, origin: string): Buffer {
  return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), 'utf8');
}

function uint16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16BE(value);
  return buffer;
}

function uint32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
}

type CborValue = number | string | Buffer | Map<CborValue, CborValue>;

/** The few CBOR (RFC 8949) items attestation needs: integers, byte strings, text strings, maps. */
function cbor(value: CborValue): Buffer {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error('only integers');
    return value >= 0 ? head(0, value) : head(1, -1 - value);
  }
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (Buffer.isBuffer(value)) return Buffer.concat([head(2, value.length), value]);
  return Buffer.concat([head(5, value.size), ...[...value].flatMap(([key, item]) => [cbor(key), cbor(item)])]);
}

/** A data item's head: major type and argument, in the shortest form. */
function head(major: number, argument: number): Buffer {
  if (argument < 24) return Buffer.from([(major << 5) | argument]);
  if (argument < 0x100) return Buffer.from([(major << 5) | 24, argument]);
  if (argument < 0x10000) return Buffer.concat([Buffer.from([(major << 5) | 25]), uint16(argument)]);
  return Buffer.concat([Buffer.from([(major << 5) | 26]), uint32(argument)]);
}
