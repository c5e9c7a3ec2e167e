import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { leaseSigningBytes, type TileLease } from '../protocol/messages.js';

// @noble/ed25519 verifies synchronously once it is given a SHA-512 (the same audited family).
ed.hashes.sha512 ??= sha512;

/**
 * Checks an Ed25519 signature (64 bytes) of `message` under a raw 32-byte public key; never
 * throws. The default is @noble/ed25519 (pure JS, every browser); Node programs may pass one on
 * `node:crypto`, which is several times faster.
 */
export type SignatureCheck = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean;

/** @noble/ed25519's verification (the default `SignatureCheck`). */
export const nobleEd25519Check: SignatureCheck = (signature, message, publicKey) => {
  try {
    return ed.verify(signature, message, publicKey);
  } catch {
    return false; // a malformed key or signature is simply not valid
  }
};

/** True when `lease` carries the relay's Ed25519 signature (`relayKey`: the 32-byte public key from the welcome). */
export function verifyLease(lease: TileLease, relayKey: Uint8Array, check: SignatureCheck = nobleEd25519Check): boolean {
  if (lease.signature.length !== 64 || relayKey.length !== 32) return false;
  return check(lease.signature, leaseSigningBytes(lease), relayKey);
}

/**
 * Verifies leases, remembering the last valid one per tile: the relay sends the same signed
 * lease again whenever a player's interest changes, and an Ed25519 verification costs a
 * fraction of a millisecond, which adds up on a busy player. A repeat is recognised byte for
 * byte (signed fields and signature), so nothing unverified is ever taken for a repeat.
 */
export class LeaseVerifier {
  private readonly lastValid = new Map<string, Uint8Array>();

  constructor(
    private readonly relayKey: Uint8Array,
    private readonly check: SignatureCheck = nobleEd25519Check,
  ) {}

  /** True when `lease` carries the relay's signature. */
  verify(lease: TileLease): boolean {
    const body = leaseSigningBytes(lease);
    const bytes = new Uint8Array(body.length + lease.signature.length);
    bytes.set(body);
    bytes.set(lease.signature, body.length);
    const key = `${lease.tile.x},${lease.tile.y},${lease.tile.z}`;
    const last = this.lastValid.get(key);
    if (last && last.length === bytes.length && last.every((b, i) => b === bytes[i])) return true;
    if (!verifyLease(lease, this.relayKey, this.check)) return false;
    this.lastValid.set(key, bytes);
    return true;
  }
}
