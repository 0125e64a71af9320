// A small SVG line chart: p99 latency (log scale) against the number of clients (log scale), one
// line per series. Hand-written SVG: no charting dependency for one picture.
export interface Point {
  series: string;
  x: number;
  y: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];
/** The same color for a transport in every run. */
const FIXED: Readonly<Record<string, string>> = { longpoll: '#1f77b4', websocket: '#d62728', sse: '#2ca02c' };

/** `targets`: goals drawn as hollow diamonds in their series' color. */
export function p99Chart(points: readonly Point[], targets: readonly Point[] = [], title = 'p99 end-to-end latency (ms) against clients'): string {
  const W = 640;
  const H = 400;
  const L = 70;
  const R = 150;
  const T = 40;
  const B = 50;
  const xs = [...points, ...targets].map((p) => p.x);
  const ys = [...points, ...targets].map((p) => Math.max(p.y, 0.1));
  const x0 = Math.log10(Math.min(...xs, 100));
  const x1 = Math.log10(Math.max(...xs, 10000));
  const y0 = Math.floor(Math.log10(Math.min(...ys, 1)));
  const y1 = Math.ceil(Math.log10(Math.max(...ys, 10)));
  const px = (x: number): number => L + ((Math.log10(x) - x0) / (x1 - x0 || 1)) * (W - L - R);
  const py = (y: number): number => H - B - ((Math.log10(Math.max(y, 0.1)) - y0) / (y1 - y0 || 1)) * (H - T - B);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${L}" y="22" font-size="14">${title}</text>`);
  for (let e = y0; e <= y1; e++) {
    const y = py(10 ** e);
    out.push(`<line x1="${L}" y1="${y}" x2="${W - R}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${L - 8}" y="${y + 4}" text-anchor="end">${10 ** e >= 1 ? 10 ** e : (10 ** e).toFixed(-e)}</text>`);
  }
  for (let e = Math.ceil(x0); e <= Math.floor(x1); e++) {
    const x = px(10 ** e);
    out.push(`<line x1="${x}" y1="${T}" x2="${x}" y2="${H - B}" stroke="#ddd"/>`);
    out.push(`<text x="${x}" y="${H - B + 18}" text-anchor="middle">${(10 ** e).toLocaleString('en')}</text>`);
  }
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 10}" text-anchor="middle">clients (log scale)</text>`);
  out.push(`<text x="16" y="${(T + H - B) / 2}" transform="rotate(-90 16 ${(T + H - B) / 2})" text-anchor="middle">p99 ms (log scale)</text>`);
  out.push(`<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#888"/>`);
  const series = [...new Set(points.map((p) => p.series))];
  series.forEach((s, i) => {
    const color = FIXED[s] ?? COLORS[i % COLORS.length]!;
    const pts = points.filter((p) => p.series === s).sort((a, b) => a.x - b.x);
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ')}"/>`);
    for (const p of pts) {
      out.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3.5" fill="${color}"><title>${s} ${p.x}: p99 ${p.y} ms</title></circle>`);
    }
    for (const g of targets.filter((x) => x.series === s)) {
      const cx = px(g.x);
      const cy = py(g.y);
      out.push(
        `<path d="M ${cx.toFixed(1)} ${(cy - 6).toFixed(1)} l 6 6 l -6 6 l -6 -6 z" fill="white" stroke="${color}" stroke-width="2"><title>${s} target at ${g.x}: p99 ≤ ${g.y} ms</title></path>`,
      );
    }
    const ly = T + 20 + i * 20;
    out.push(`<line x1="${W - R + 15}" y1="${ly - 4}" x2="${W - R + 40}" y2="${ly - 4}" stroke="${color}" stroke-width="2"/>`);
    out.push(`<text x="${W - R + 46}" y="${ly}">${s}</text>`);
  });
  if (targets.length > 0) {
    const ly = T + 20 + series.length * 20;
    out.push(`<path d="M ${W - R + 27} ${ly - 10} l 6 6 l -6 6 l -6 -6 z" fill="white" stroke="#555" stroke-width="2"/>`);
    out.push(`<text x="${W - R + 46}" y="${ly}">target</text>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
