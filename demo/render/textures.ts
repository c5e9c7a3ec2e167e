import * as THREE from 'three';

// Small textures drawn once on a canvas (no image files to load): grass, crate planks, stone
// blocks. Each is mostly light grey, so a material's colour tints it.

/** A little deterministic noise source, so every tab draws the same textures. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function canvasTexture(size: number, draw: (g: CanvasRenderingContext2D, r: () => number) => void, seed: number): THREE.CanvasTexture {
  const c = document.createElement('canvas');
  c.width = size;
  c.height = size;
  const g = c.getContext('2d')!;
  draw(g, rng(seed));
  const t = new THREE.CanvasTexture(c);
  t.colorSpace = THREE.SRGBColorSpace;
  t.wrapS = THREE.RepeatWrapping;
  t.wrapT = THREE.RepeatWrapping;
  return t;
}

const cache = new Map<string, THREE.Texture>();
function cached(key: string, make: () => THREE.Texture): THREE.Texture {
  let t = cache.get(key);
  if (!t) {
    t = make();
    cache.set(key, t);
  }
  return t;
}

/** Grass: speckles and short blades over a light base (4 m a repeat on the ground). */
export function grassTexture(): THREE.Texture {
  return cached('grass', () =>
    canvasTexture(
      128,
      (g, r) => {
        g.fillStyle = '#e4e4e4';
        g.fillRect(0, 0, 128, 128);
        for (let i = 0; i < 900; i++) {
          const v = Math.floor(190 + r() * 65);
          g.fillStyle = `rgb(${v},${v},${v})`;
          g.fillRect(r() * 128, r() * 128, 1 + r() * 2, 1 + r() * 2);
        }
        g.lineWidth = 1;
        for (let i = 0; i < 260; i++) {
          const x = r() * 128;
          const y = r() * 128;
          const v = Math.floor(r() < 0.5 ? 170 + r() * 30 : 245 + r() * 10);
          g.strokeStyle = `rgb(${v},${v},${v})`;
          g.beginPath();
          g.moveTo(x, y);
          g.lineTo(x + (r() - 0.5) * 3, y - 2 - r() * 3);
          g.stroke();
        }
      },
      11,
    ),
  );
}

/** Crate: a frame of planks with a cross brace. */
export function crateTexture(): THREE.Texture {
  return cached('crate', () =>
    canvasTexture(
      64,
      (g, r) => {
        g.fillStyle = '#e8e8e8';
        g.fillRect(0, 0, 64, 64);
        for (let y = 0; y < 64; y += 16) {
          g.fillStyle = `rgb(${215 + Math.floor(r() * 30)},${215 + Math.floor(r() * 30)},${215 + Math.floor(r() * 30)})`;
          g.fillRect(0, y + 1, 64, 14);
        }
        g.strokeStyle = '#8a8a8a';
        g.lineWidth = 6;
        g.strokeRect(3, 3, 58, 58);
        g.lineWidth = 5;
        g.beginPath();
        g.moveTo(6, 6);
        g.lineTo(58, 58);
        g.stroke();
      },
      5,
    ),
  );
}

/** Stone blocks in courses, for the walls. */
export function stoneTexture(): THREE.Texture {
  return cached('stone', () =>
    canvasTexture(
      64,
      (g, r) => {
        g.fillStyle = '#7a7a7a';
        g.fillRect(0, 0, 64, 64);
        for (let row = 0; row < 4; row++) {
          const off = row % 2 ? 10 : 0;
          for (let x = -off; x < 64; x += 21) {
            const v = Math.floor(200 + r() * 45);
            g.fillStyle = `rgb(${v},${v},${v - 6})`;
            g.fillRect(x + 1, row * 16 + 1, 19, 14);
          }
        }
      },
      7,
    ),
  );
}
