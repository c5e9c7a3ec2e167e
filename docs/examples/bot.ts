import { joinBot } from '../../src/bot/index.js';

const bot = await joinBot({ relay: 'ws://127.0.0.1:8787/', world: 'demo', name: 'bot-1', seed: 1,
                            pattern: { kind: 'crowd', to: { x: 8, y: 0, z: 8 } } });
console.log(bot.stats()); // joined, updates applied, bytes/s up and down, tiles owned, avatars seen
bot.close();
