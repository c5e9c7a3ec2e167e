// The demo's debug panel: cheats for the local player — what a modified browser could do to
// the tiles it owns — so a person can watch the relay's audit catch them.
import { DEMO_SCENE, tileKey, type AuditIncident, type PlayerClient } from '../src/index.js';

/** Verdicts about an owner that stopped keeping up (a slow or frozen tab), not about cheating. */
const LIVENESS: ReadonlySet<string> = new Set(['lease-expired', 'no-audit-answer']);

/** What the HUD shows of the audits: the debug panel's lines, and a notice for every player ('' for none). */
export interface AuditReport {
  readonly lines: string[];
  readonly notice: string;
}

/** Builds the panel into `root`; returns a function that gives the HUD's audit report. */
export function debugPanel(root: HTMLElement, client: PlayerClient): () => AuditReport {
  root.innerHTML = '';
  const title = document.createElement('div');
  title.textContent = 'Cheats (tiles you own)';
  title.className = 'title';
  root.append(title);
  const status = document.createElement('div');
  status.className = 'status';
  const button = (id: string, text: string, act: () => string): HTMLButtonElement => {
    const b = document.createElement('button');
    b.dataset['cheat'] = id;
    b.textContent = text;
    b.onclick = () => {
      status.textContent = act();
    };
    root.append(b);
    return b;
  };
  const owned = (): Set<string> => new Set(client.stats().ownedTiles.map(tileKey));
  const me = (): { x: number; y: number; z: number } | undefined => client.entities().find((e) => e.id === client.avatar)?.position;

  const hold = button('hold', 'Teleport: hold an object in the air', () => {
    if (client.cheats.active?.kind === 'hold') {
      client.cheats.stop();
      hold.classList.remove('on');
      return 'teleport cheat off';
    }
    const mine = owned();
    const at = me();
    const candidates = client.entities().filter((e) => e.kind !== 'avatar' && e.body.type === 'dynamic' && mine.has(tileKey(e.tile)));
    if (!at || candidates.length === 0) return 'no loose object in a tile you own';
    const d = (p: { x: number; z: number }): number => (p.x - at.x) ** 2 + (p.z - at.z) ** 2;
    const target = candidates.sort((a, b) => d(a.position) - d(b.position))[0]!;
    client.cheats.hold(target.id, { x: target.position.x, y: target.position.y + 3, z: target.position.z });
    hold.classList.add('on');
    return `holding ${target.kind} #${target.id} 3 m up`;
  });
  button('gold', 'Forge chest gold = 1,000,000', () => {
    const chest = client.entities().find((e) => e.id === DEMO_SCENE.chest);
    if (!chest || !owned().has(tileKey(chest.tile))) return 'you do not own the chest’s tile';
    client.cheats.setProp(DEMO_SCENE.chest, { gold: 1_000_000 });
    return 'chest gold set to 1,000,000 (a critical prop)';
  });
  const speed = button('speed', 'Run 3× too fast', () => {
    if (client.cheats.active?.kind === 'speed') {
      client.cheats.stop();
      speed.classList.remove('on');
      return 'speed cheat off';
    }
    client.cheats.speed(client.avatar, 15);
    speed.classList.add('on');
    return 'running at 15 m/s where you own the tile';
  });
  root.append(status);

  let last: { incident: AuditIncident; at: number } | undefined;
  client.on('incident', (incident) => {
    last = { incident, at: performance.now() };
    if (incident.offender === client.peerId) {
      client.cheats.stop();
      hold.classList.remove('on');
      speed.classList.remove('on');
    }
  });
  return () => {
    const a = client.stats().audit;
    const lines = [`audits      ${a.audits} run · ${a.passed} passed · ${a.mismatches} mismatched · ${a.takeovers} takeovers`];
    let notice = '';
    if (last && performance.now() - last.at < 15_000) {
      const i = last.incident;
      const where = `${i.reason} on tile ${tileKey(i.tile)} (ticks ${i.fromTick}–${i.toTick})`;
      const taken = `  ${i.tiles.length} tile(s) taken back, resumed from tick ${i.resumedFromTick}`;
      if (LIVENESS.has(i.reason)) {
        // A tab too slow to keep its tiles (a busy machine, a phone in the background): no one
        // cheated, so it is no news for every player, and not called a catch.
        const who = i.offender === client.peerId ? 'YOU' : `peer ${i.offender}`;
        lines.push(`⟳ ${who} fell behind: ${where};`, taken);
      } else {
        const who = i.offender === client.peerId ? 'YOU were' : `peer ${i.offender} was`;
        lines.push(`⚠ ${who} caught: ${where};`, taken);
        // A caught cheat is news for every player, not only for the debug panel.
        notice = `⚠ ${who} caught: ${where}`;
      }
    }
    return { lines, notice };
  };
}
