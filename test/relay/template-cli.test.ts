import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { joinWorld, readTemplateFile, type TemplateJson, type WebSocketConstructor } from '../../src/index.js';
import { startRelay } from '../../relay/server.js';

const cli = new URL('../../relay/cli.ts', import.meta.url).pathname;

describe('templates through the relay and the CLI', () => {
  it('a world starts from a template file, a creator adds to it, and `tessera template` exports the result as a new template', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-tplcli-'));
    const file = join(dir, 'plaza.json');
    const plaza: TemplateJson = { format: 'tessera-template@1', objects: [{ kind: 'ramp', position: { x: 8, y: 1.3, z: 8 }, yaw: 0.5 }, { kind: 'cannon', position: { x: 12, y: 1.4, z: 20 }, color: '#223344' }] };
    writeFileSync(file, JSON.stringify(plaza));
    const dataDir = join(dir, 'data');
    const relay = await startRelay({ port: 0, dataDir, log: () => {}, auditThread: false, template: readTemplateFile(new Uint8Array(Buffer.from(JSON.stringify(plaza))), 16) });
    const handle = await joinWorld({ relay: relay.url, world: 'demo', name: 'maker', transport: 'relay', webSocket: WebSocket as unknown as WebSocketConstructor });
    try {
      expect(handle.world.layout.size).toBeGreaterThanOrEqual(0);
      const start = Date.now();
      while (handle.world.layout.size < 2 && Date.now() - start < 3000) await new Promise((r) => setTimeout(r, 20));
      expect(handle.world.layout.objects().map((o) => o.key)).toEqual(['tpl-0', 'tpl-1']);
      handle.world.layout.place({ kind: 'ball', position: { x: 20, y: 2, z: 20 }, color: '#ff0000' });
      handle.world.layout.configure('tpl-1', { color: '#00ff00' });
      await handle.whenAcknowledged();
    } finally {
      handle.leave();
      await relay.close();
    }
    const out = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', cli, 'template', '--data-dir', dataDir, '--world', 'demo'], { encoding: 'utf8' })) as TemplateJson;
    expect(out.format).toBe('tessera-template@1');
    // (Objects come in key order; the ball's key starts with its creator's random client id.)
    expect(out.objects.map((o) => `${o.kind} ${o.color}`).sort()).toEqual(['ball #ff0000', 'cannon #00ff00', 'ramp #8c8c8c']);
    // A bad template file is refused with a clear message.
    expect(() => readTemplateFile(new Uint8Array(Buffer.from('{"format":"tessera-template@1","objects":[{"kind":"dragon","position":{"x":0,"y":0,"z":0}}]}')), 16)).toThrow(/template object 0: kind "dragon" cannot be placed/);
  }, 30_000);
});
