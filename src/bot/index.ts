// `tessera/bot`: players without a browser, for load tests and scripted worlds (Node only).
export { joinBot, type Bot, type BotOptions, type BotStats } from './join-bot.js';
export { BotSteering, parseBotPattern, type BotMove, type BotPattern } from './bot-pattern.js';
export { nodeEd25519Check } from './node-signature-check.js';
