import { describe, expect, it } from 'vitest';
import { ed25519Signer } from '../../relay/lease-signer.js';
import { nodeEd25519Check } from '../../src/bot/node-signature-check.js';
import { LeaseVerifier, leaseSigningBytes, nobleEd25519Check, verifyLease, type TileLease } from '../../src/index.js';

const signer = ed25519Signer();
const lease = (epoch: number, owner = 2, expiresTick = 340): TileLease => {
  const body = { tile: { x: 1, y: 0, z: -2 }, owner, epoch, fromTick: 100, expiresTick };
  return { ...body, signature: signer.sign(leaseSigningBytes(body)) };
};

describe('lease verification', () => {
  it('node:crypto and @noble/ed25519 agree: the relay signature holds, any changed field or byte of the signature fails', () => {
    const good = lease(3);
    for (const check of [nobleEd25519Check, nodeEd25519Check]) {
      expect(verifyLease(good, signer.publicKey, check)).toBe(true);
      expect(verifyLease({ ...good, epoch: 4 }, signer.publicKey, check)).toBe(false);
      expect(verifyLease({ ...good, owner: 3 }, signer.publicKey, check)).toBe(false);
      const sig = good.signature.slice();
      sig[10]! ^= 1;
      expect(verifyLease({ ...good, signature: sig }, signer.publicKey, check)).toBe(false);
      expect(verifyLease(good, ed25519Signer().publicKey, check)).toBe(false);
      expect(verifyLease({ ...good, signature: good.signature.slice(0, 63) }, signer.publicKey, check)).toBe(false);
      expect(check(good.signature, leaseSigningBytes(good), new Uint8Array(31))).toBe(false);
    }
  });

  it('a repeat of the last valid lease is accepted without a new check; a copy with a changed field is still refused', () => {
    let checks = 0;
    const counting = (s: Uint8Array, m: Uint8Array, k: Uint8Array): boolean => {
      checks++;
      return nodeEd25519Check(s, m, k);
    };
    const v = new LeaseVerifier(signer.publicKey, counting);
    const good = lease(5);
    expect(v.verify(good)).toBe(true);
    expect(v.verify({ ...good })).toBe(true);
    expect(checks).toBe(1);
    // The same signature over different fields is not a repeat: it is checked, and fails.
    expect(v.verify({ ...good, owner: 9 })).toBe(false);
    expect(v.verify({ ...good, expiresTick: good.expiresTick + 1000 })).toBe(false);
    expect(checks).toBe(3);
    // A renewal (a new signature) is checked and becomes the one remembered.
    const renewed = lease(5, 2, 400);
    expect(v.verify(renewed)).toBe(true);
    expect(v.verify(renewed)).toBe(true);
    expect(checks).toBe(4);
  });
});
