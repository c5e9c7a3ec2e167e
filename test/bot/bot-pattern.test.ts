import { describe, expect, it } from 'vitest';
import { BotSteering, parseBotPattern } from '../../src/bot/index.js';
import { renderChart } from '../../relay/loadtest/svg-chart.js';
import { metricsUrlOf } from '../../relay/loadtest/load-test.js';

describe('bot walks', () => {
  it('parses every pattern, and refuses bad ones with a message that names the forms', () => {
    expect(parseBotPattern('wander')).toEqual({ kind: 'wander' });
    expect(parseBotPattern('circle:4')).toEqual({ kind: 'circle', radiusM: 4 });
    expect(parseBotPattern('crowd:8,-3')).toEqual({ kind: 'crowd', to: { x: 8, y: 0, z: -3 } });
    expect(parseBotPattern('follow:alice')).toEqual({ kind: 'follow', name: 'alice' });
    expect(() => parseBotPattern('crowd')).toThrow(/crowd needs a point/);
    expect(() => parseBotPattern('follow')).toThrow(/follow needs a player's name/);
    expect(() => parseBotPattern('circle:-1')).toThrow(/positive/);
    expect(() => parseBotPattern('dance')).toThrow(/wander, circle\[:radius\], crowd:x,z or follow:name/);
  });

  it('the same seed walks the same way; crowding heads for the point, following heads for the target', () => {
    const walk = (seed: number): string => {
      const s = new BotSteering({ kind: 'wander' }, seed);
      return JSON.stringify(Array.from({ length: 20 }, () => s.next({ x: 0, y: 0, z: 0 })));
    };
    expect(walk(7)).toBe(walk(7));
    expect(walk(7)).not.toBe(walk(8));
    const crowd = new BotSteering({ kind: 'crowd', to: { x: 10, y: 0, z: -10 } }, 1);
    expect(crowd.next({ x: 0, y: 1, z: 0 })).toEqual({ moveX: 1, moveZ: -1 });
    const follow = new BotSteering({ kind: 'follow', name: 'a' }, 1);
    expect(follow.next({ x: 0, y: 1, z: 0 }, { x: -5, y: 1, z: 0.1 })).toEqual({ moveX: -1, moveZ: 0 });
    // Circling goes round: over a lap it moves both ways on both axes.
    const circle = new BotSteering({ kind: 'circle', radiusM: 5 }, 1);
    const moves = Array.from({ length: 12 }, () => circle.next({ x: 0, y: 0, z: 0 }));
    expect(moves.some((m) => m.moveX === 1) && moves.some((m) => m.moveX === -1)).toBe(true);
  });

  it('the load test reads the relay metrics next to its WebSocket, and draws a chart with every series', () => {
    expect(metricsUrlOf('ws://127.0.0.1:8787/')).toBe('http://127.0.0.1:8787/metrics');
    expect(metricsUrlOf('wss://relay.example/world?x=1')).toBe('https://relay.example/metrics');
    const svg = renderChart({ title: 'a <b>', xLabel: 's', leftLabel: 'n', rightLabel: 'ms', series: [{ name: 'one', points: [[0, 1], [1, 3]], color: '#f00' }, { name: 'two', points: [[0, 50]], axis: 'right', color: '#00f' }], marks: [{ y: 100, label: 'limit', axis: 'right' }] });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('a &lt;b&gt;');
    expect(svg.match(/<path /g)?.length).toBe(2);
    expect(svg).toContain('limit');
  });
});
