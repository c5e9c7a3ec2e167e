// Which Chromium the browser tests use, and the install fallback on a machine without one (no download: the installer is injected).
import { describe, expect, it } from 'vitest';
import { chooseChromium, SYSTEM_CHROMIUM, type ChromiumProbe } from '../../bench/chromium.js';

interface Machine {
  env?: Record<string, string>;
  playwright?: boolean; // Playwright's own Chromium installed
  system?: boolean; // /usr/bin/chromium exists
  installWorks?: boolean;
}

function probe(m: Machine): ChromiumProbe & { installs: number; lines: string[] } {
  let playwright = m.playwright ?? false;
  const p = {
    installs: 0,
    lines: [] as string[],
    env: m.env ?? {},
    playwrightInstalled: () => playwright,
    exists: (path: string) => path === SYSTEM_CHROMIUM && (m.system ?? false),
    install: () => {
      p.installs++;
      if (m.installWorks) playwright = true;
      return m.installWorks ?? false;
    },
    log: (line: string) => void p.lines.push(line),
  };
  return p;
}

describe('chooseChromium', () => {
  it('takes TESSERA_CHROMIUM first, then Playwright\'s own, then Debian\'s, without installing', () => {
    const all = { playwright: true, system: true, installWorks: true };
    const a = probe({ ...all, env: { TESSERA_CHROMIUM: '/opt/chrome' } });
    expect(chooseChromium(a)).toBe('/opt/chrome');
    const b = probe(all);
    expect(chooseChromium(b)).toBeUndefined(); // undefined: Playwright launches its own
    const c = probe({ ...all, playwright: false });
    expect(chooseChromium(c)).toBe(SYSTEM_CHROMIUM);
    expect(a.installs + b.installs + c.installs).toBe(0);
    expect([...a.lines, ...b.lines, ...c.lines]).toEqual([]);
  });

  it('with no Chromium, installs Playwright\'s and uses it, saying so', () => {
    const p = probe({ installWorks: true });
    expect(chooseChromium(p)).toBeUndefined();
    expect(p.installs).toBe(1);
    expect(p.lines[0]).toMatch(/No Chromium found.*running `npx playwright install chromium`/);
    expect(p.lines[1]).toMatch(/Playwright's Chromium is installed/);
  });

  it('when the install fails too, throws naming the three ways', () => {
    const p = probe({ installWorks: false });
    expect(() => chooseChromium(p)).toThrow(/TESSERA_CHROMIUM=.*npx playwright install chromium.*Debian chromium/);
    expect(p.installs).toBe(1);
  });

  it('an installer that exits 0 without leaving a browser counts as failed', () => {
    const p = { ...probe({}), install: () => true };
    expect(() => chooseChromium(p)).toThrow(/No Chromium found and `npx playwright install chromium` failed/);
  });

  it('TESSERA_CHROMIUM_SEARCH limits where an installed one is looked for (none: straight to the install)', () => {
    const none = probe({ playwright: false, system: true, installWorks: false, env: { TESSERA_CHROMIUM_SEARCH: 'none' } });
    expect(() => chooseChromium(none)).toThrow(/Debian chromium/);
    expect(none.installs).toBe(1);
    expect(none.lines[0]).toContain('TESSERA_CHROMIUM_SEARCH=none');
    const systemOnly = probe({ playwright: true, system: true, env: { TESSERA_CHROMIUM_SEARCH: 'system' } });
    expect(chooseChromium(systemOnly)).toBe(SYSTEM_CHROMIUM);
    const playwrightOnly = probe({ playwright: false, system: true, installWorks: true, env: { TESSERA_CHROMIUM_SEARCH: 'playwright' } });
    expect(chooseChromium(playwrightOnly)).toBeUndefined();
    expect(playwrightOnly.installs).toBe(1);
  });
});
