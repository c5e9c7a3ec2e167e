// One load-test process: joins its share of the bots on the ramp and reports every second.
import { joinBot, parseBotPattern, type Bot } from '../../src/bot/index.js';
import type { BatchReport, BotBatch, StopBatch } from './protocol.js';

const AGE_SAMPLE = 400;

const bots: Bot[] = [];
let failures = 0;
const reasons: string[] = [];
let stopping = false;
let lastCpu = process.cpuUsage();
let lastAt = performance.now();
let updatesBefore = 0;

function start(b: BotBatch): void {
  const pattern = parseBotPattern(b.pattern);
  b.offsetsMs.forEach((offset, k) => {
    const n = b.numbers[k]!;
    setTimeout(() => {
      if (stopping) return;
      joinBot({ relay: b.relay, world: b.world, name: `bot-${n}`, seed: n, pattern, replicaMode: b.replicaMode, ...(b.token ? { token: b.token } : {}), joinAttempts: 3 })
        .then((bot) => (stopping ? bot.close() : bots.push(bot)))
        .catch((e: unknown) => {
          failures++;
          if (reasons.length < 5) reasons.push(e instanceof Error ? e.message : String(e));
        });
    }, Math.max(0, b.startAt + offset - Date.now()));
  });
  setInterval(report, 1000);
}

function report(): void {
  let updates = 0;
  let errors = 0;
  let reconnects = 0;
  let up = 0;
  let down = 0;
  let owned = 0;
  let seen = 0;
  let listed = 0;
  let joined = 0;
  const ages: number[] = [];
  const kinds = new Map<string, number>();
  for (const bot of bots) {
    const s = bot.stats();
    for (const k of s.errorKinds) kinds.set(k.reason, (kinds.get(k.reason) ?? 0) + k.count);
    if (s.joined) joined++;
    updates += s.updates;
    errors += s.errors;
    reconnects += s.reconnects;
    up += s.bytesUpPerS;
    down += s.bytesDownPerS;
    owned += s.ownedTiles;
    seen += s.avatarsSeen;
    listed += bot.handle.client.players().length - 1;
    for (const a of bot.drainAges()) if (ages.length < AGE_SAMPLE || Math.random() < AGE_SAMPLE / (ages.length + 1)) ages.push(a);
  }
  const cpu = process.cpuUsage(lastCpu);
  const now = performance.now();
  const r: BatchReport = { type: 'report', joined, joinFailures: failures, failureReasons: reasons, updates: updates - updatesBefore, ages: ages.slice(0, AGE_SAMPLE), errors, errorKinds: [...kinds].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count).slice(0, 8), reconnects, bytesUpPerS: up, bytesDownPerS: down, ownedTiles: owned, avatarsSeen: seen, avatarsListed: listed, cpu: (cpu.user + cpu.system) / 1000 / (now - lastAt) };
  updatesBefore = updates;
  lastCpu = process.cpuUsage();
  lastAt = now;
  process.send?.(r);
}

process.on('message', (m: BotBatch | StopBatch) => {
  if (m.type === 'start') start(m);
  else {
    stopping = true;
    for (const b of bots) b.close();
    setTimeout(() => process.exit(0), 200);
  }
});
process.on('disconnect', () => process.exit(0));
