// One lease-signing key for every node of a cluster: a player verifies its leases with the key
// its own node sent at join, and a lease may come from any node (a tile handed over by another
// node's player), so every node must sign with the same key.
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ed25519Signer } from '../lease-signer.js';
import type { LeaseSigner } from '../relay-core.js';

/**
 * KEYS: public, private. ARGV: this node's public key (base64), its private key (PEM, or '' when
 * the operator keeps it). The first node to ask sets the cluster's key; every later one reads it.
 */
const CLUSTER_KEY_LUA = `
local pub = redis.call('GET', KEYS[1])
if not pub then
  redis.call('SET', KEYS[1], ARGV[1])
  if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2]) end
  return {ARGV[1], ARGV[2]}
end
return {pub, redis.call('GET', KEYS[2]) or ''}`;

interface ClusterKeyCommands {
  tesseraClusterKey(publicKey: string, privateKey: string, pub: string, pem: string): Promise<[string, string]>;
}

/** Where a cluster's lease key lives in Redis: `<prefix>lease-key:public` (raw Ed25519, base64) and, unless the operator gives the key, `<prefix>lease-key:private` (PKCS#8 PEM). */
export function clusterKeyKeys(prefix: string): { readonly public: string; readonly private: string } {
  return { public: `${prefix}lease-key:public`, private: `${prefix}lease-key:private` };
}

/** The cluster's lease signer, and how to put its key back should Redis lose it. */
export interface ClusterSigner {
  /** Signs with the cluster's key. */
  readonly signer: LeaseSigner;
  /** Writes the key back if Redis has none (a Redis restarted without its data); throws if Redis holds another. */
  reassert(): Promise<void>;
}

/**
 * Agrees on the cluster's lease key. With `privateKeyPem` (the operator's `--lease-key` file) the
 * node signs with it, and Redis keeps only its public key; a node given a different key, or none
 * while the cluster's private key is not in Redis, is refused with an error that says so.
 * Without it, the first node generates a key and stores it in Redis (`SET` in one script, so
 * exactly one node's key wins), and every other node reads it.
 */
export async function clusterSigner(redis: Redis, prefix: string, privateKeyPem?: string): Promise<ClusterSigner> {
  redis.defineCommand('tesseraClusterKey', { numberOfKeys: 2, lua: CLUSTER_KEY_LUA });
  const r = redis as Redis & ClusterKeyCommands;
  const keys = clusterKeyKeys(prefix);
  const given = privateKeyPem !== undefined;
  const pem = privateKeyPem ?? generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  createPrivateKey(pem); // a clear error for a file that is no key
  const mine = ed25519Signer(pem);
  const [pub, storedPem] = await r.tesseraClusterKey(keys.public, keys.private, b64(mine.publicKey), given ? '' : pem);
  let signer: LeaseSigner;
  if (pub === b64(mine.publicKey)) signer = mine;
  else if (given) throw new Error(`this node's --lease-key differs from the cluster's (public key ${pub} in ${keys.public}): give every node the same key`);
  else if (storedPem === '') throw new Error(`the cluster's nodes sign with a key given to them (--lease-key), not kept in Redis: give this node the same --lease-key`);
  else {
    signer = ed25519Signer(storedPem);
    if (b64(signer.publicKey) !== pub) throw new Error(`${keys.private} does not match ${keys.public}`);
  }
  const own = b64(signer.publicKey);
  const ownPem = given ? '' : signer === mine ? pem : storedPem;
  return {
    signer,
    reassert: async () => {
      const [now] = await r.tesseraClusterKey(keys.public, keys.private, own, ownPem);
      if (now !== own) throw new Error(`the cluster's lease key in Redis changed (${now}); this node signs with ${own}: its leases no longer verify for players of other nodes`);
    },
  };
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}
