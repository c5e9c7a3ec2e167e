// A small SVG line chart (no dependencies): the load test's and the bench's plots.

/** One line of a chart. */
export interface ChartSeries {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
  /** Which y axis it is read on (default left). */
  readonly axis?: 'left' | 'right';
  readonly color: string;
}

/** A chart: title, axis labels, lines; `logX` for ranges like 100 … 100,000. */
export interface Chart {
  readonly title: string;
  readonly xLabel: string;
  readonly leftLabel: string;
  readonly rightLabel?: string;
  readonly series: readonly ChartSeries[];
  readonly logX?: boolean;
  /** Left end of the x axis (default 0, or 1 with `logX`): a ramp from 100 need not start at 1. */
  readonly xMin?: number;
  /** Horizontal reference lines (e.g. a limit), on the left axis unless said. */
  readonly marks?: readonly { readonly y: number; readonly label: string; readonly axis?: 'left' | 'right' }[];
}

const W = 760;
const H = 420;
const M = { l: 70, r: 70, t: 40, b: 96 };

/** A round axis top at or above `v`: 1, 2 or 5 × 10^k. */
const niceTop = (v: number): number => {
  const k = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * k).find((t) => t >= v) ?? 10 * k;
};

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number): string => (Math.abs(v) >= 10000 ? `${Math.round(v / 1000)}k` : Math.abs(v) >= 100 ? String(Math.round(v)) : String(Math.round(v * 10) / 10));

/** Renders `chart` as an SVG document. */
export function renderChart(chart: Chart): string {
  const all = chart.series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const tx = (x: number): number => (chart.logX ? Math.log10(Math.max(x, 1e-9)) : x);
  const x0 = chart.xMin !== undefined ? tx(chart.xMin) : Math.min(...xs.map(tx), 0);
  const x1 = Math.max(...xs.map(tx), x0 + 1);
  const range = (axis: 'left' | 'right'): [number, number] => {
    const ys = chart.series.filter((s) => (s.axis ?? 'left') === axis).flatMap((s) => s.points.map((p) => p[1]));
    const marks = (chart.marks ?? []).filter((m) => (m.axis ?? 'left') === axis).map((m) => m.y);
    return [0, niceTop(Math.max(...ys, ...marks, 1) * 1.05)];
  };
  const ranges = { left: range('left'), right: range('right') };
  const px = (x: number): number => M.l + ((tx(x) - x0) / (x1 - x0)) * (W - M.l - M.r);
  const py = (y: number, axis: 'left' | 'right'): number => H - M.b - ((y - ranges[axis][0]) / (ranges[axis][1] - ranges[axis][0])) * (H - M.t - M.b);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(chart.title)}</text>`);
  // Grid and ticks: five steps on each axis.
  for (let i = 0; i <= 5; i++) {
    const yv = ranges.left[0] + ((ranges.left[1] - ranges.left[0]) * i) / 5;
    const y = py(yv, 'left');
    out.push(`<line x1="${M.l}" y1="${y}" x2="${W - M.r}" y2="${y}" stroke="#e5e5e5"/>`, `<text x="${M.l - 6}" y="${y + 4}" text-anchor="end">${fmt(yv)}</text>`);
    if (chart.rightLabel) {
      const rv = ranges.right[0] + ((ranges.right[1] - ranges.right[0]) * i) / 5;
      out.push(`<text x="${W - M.r + 6}" y="${y + 4}">${fmt(rv)}</text>`);
    }
    const xv = x0 + ((x1 - x0) * i) / 5;
    const x = M.l + ((W - M.l - M.r) * i) / 5;
    out.push(`<text x="${x}" y="${H - M.b + 18}" text-anchor="middle">${fmt(chart.logX ? 10 ** xv : xv)}</text>`);
  }
  out.push(`<line x1="${M.l}" y1="${H - M.b}" x2="${W - M.r}" y2="${H - M.b}" stroke="#333"/>`, `<line x1="${M.l}" y1="${M.t}" x2="${M.l}" y2="${H - M.b}" stroke="#333"/>`);
  out.push(`<text x="${W / 2}" y="${H - M.b + 38}" text-anchor="middle">${esc(chart.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${(H - M.b + M.t) / 2}) rotate(-90)" text-anchor="middle">${esc(chart.leftLabel)}</text>`);
  if (chart.rightLabel) out.push(`<text transform="translate(${W - 14} ${(H - M.b + M.t) / 2}) rotate(90)" text-anchor="middle">${esc(chart.rightLabel)}</text>`);
  for (const m of chart.marks ?? []) {
    const y = py(m.y, m.axis ?? 'left');
    out.push(`<line x1="${M.l}" y1="${y}" x2="${W - M.r}" y2="${y}" stroke="#999" stroke-dasharray="5 4"/>`, `<text x="${W - M.r - 4}" y="${y - 4}" text-anchor="end" fill="#666">${esc(m.label)}</text>`);
  }
  chart.series.forEach((s, i) => {
    const axis = s.axis ?? 'left';
    if (s.points.length > 0) {
      const d = s.points.map((p, k) => `${k === 0 ? 'M' : 'L'}${px(p[0]).toFixed(1)},${py(p[1], axis).toFixed(1)}`).join(' ');
      out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
      for (const p of s.points.length <= 40 ? s.points : []) out.push(`<circle cx="${px(p[0]).toFixed(1)}" cy="${py(p[1], axis).toFixed(1)}" r="3" fill="${s.color}"/>`);
    }
    const lx = M.l + (i % 3) * 220;
    const ly = H - 26 + Math.floor(i / 3) * 16;
    out.push(`<rect x="${lx}" y="${ly - 9}" width="14" height="4" fill="${s.color}"/>`, `<text x="${lx + 20}" y="${ly - 4}">${esc(s.name)}${chart.rightLabel ? ` (${axis})` : ''}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
