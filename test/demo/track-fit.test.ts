import { describe, expect, it } from 'vitest';
import { fitCircle } from '../../demo/render/track.js';
import { cameraToWorld, headingTowards } from '../../demo/render/view.js';

// The demo's track is fitted to where the page sees the train go; the camera of a new player
// looks into the world.

describe('the demo: fitting the track to the train', () => {
  const arc = (cx: number, cz: number, r: number, from: number, to: number, n: number, noise = 0) =>
    Array.from({ length: n }, (_, i) => {
      const a = from + ((to - from) * i) / (n - 1);
      const wobble = noise * Math.sin(i * 2.3); // deterministic "noise", up to ±noise
      return { x: cx + (r + wobble) * Math.cos(a), z: cz + (r + wobble) * Math.sin(a) };
    });

  it('finds the circle a train goes round, also from positions a few centimetres off', () => {
    const exact = fitCircle(arc(24, 24, 14, 0, 2, 28))!;
    expect(exact.x).toBeCloseTo(24, 6);
    expect(exact.z).toBeCloseTo(24, 6);
    expect(exact.r).toBeCloseTo(14, 6);
    const rough = fitCircle(arc(24, 24, 14, 1, 3, 28, 0.04))!;
    expect(Math.hypot(rough.x - 24, rough.z - 24)).toBeLessThan(0.1);
    expect(Math.abs(rough.r - 14)).toBeLessThan(0.1);
  });

  it('waits: too short an arc, a straight run, or positions that do not lie on one circle give nothing', () => {
    expect(fitCircle(arc(24, 24, 14, 0, 0.5, 8))).toBeUndefined();
    expect(fitCircle(Array.from({ length: 20 }, (_, i) => ({ x: i, z: 2 * i })))).toBeUndefined();
    expect(fitCircle(arc(24, 24, 14, 0, 2, 28, 0.6))).toBeUndefined();
  });

  it('a new player at the spawn point looks towards the world’s centre', () => {
    // Heading 0 looks along −z; the spawn point (8, 8) faces (24, 24): towards +x and +z.
    const h = headingTowards({ x: 8, z: 8 }, { x: 24, z: 24 });
    expect(-Math.sin(h)).toBeCloseTo(Math.SQRT1_2, 6);
    expect(-Math.cos(h)).toBeCloseTo(Math.SQRT1_2, 6);
    expect(headingTowards({ x: 24, z: 40 }, { x: 24, z: 24 })).toBeCloseTo(0, 6);
  });

  it('W walks where the camera looks, D to the screen’s right, whatever the heading', () => {
    expect(cameraToWorld(0, 0, -1)).toEqual({ moveX: 0, moveZ: -1 }); // unturned: as before
    expect(cameraToWorld(0, 1, 0)).toEqual({ moveX: 1, moveZ: 0 });
    const h = headingTowards({ x: 8, z: 8 }, { x: 24, z: 24 });
    const w = cameraToWorld(h, 0, -1);
    expect(w.moveX).toBeCloseTo(Math.SQRT1_2, 3);
    expect(w.moveZ).toBeCloseTo(Math.SQRT1_2, 3);
    const d = cameraToWorld(h, 1, 0); // right of a camera looking towards +x +z is −x +z
    expect(d.moveX).toBeCloseTo(-Math.SQRT1_2, 3);
    expect(d.moveZ).toBeCloseTo(Math.SQRT1_2, 3);
  });
});
