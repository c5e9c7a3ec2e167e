import { makeToken, startRelay } from '../../relay/index.js';

// The relay of `npx tessera-engine relay`, in your own Node process.
const secret = 'change me';
const relay = await startRelay({ port: 8787, world: 'demo', secret, dataDir: './tessera-data', auditSample: 0.1 });
console.log(relay.url); // ws://127.0.0.1:8787/

// A join token, as `npx tessera-engine token --secret S --world demo --role creator` prints it.
const token = makeToken(secret, { world: 'demo', exp: Math.floor(Date.now() / 1000) + 3600, role: 'creator' });
console.log(`http://127.0.0.1:8787/dashboard?token=${token}`);

process.on('SIGINT', () => void relay.close()); // saves a last checkpoint, then stops
