// Small SVG charts for the metrics page: one series (or two) over the minutes of the
// last hour. Each chart carries a text summary for screen readers.

const NS = 'http://www.w3.org/2000/svg';

function el(tag: string, attrs: Record<string, string | number>): SVGElement {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

export interface Series {
  label: string;
  values: number[];
  className: string;
}

/** Counts a minute read best as bars (later series drawn over earlier ones); times as lines. */
export function lineChart(title: string, unit: string, series: Series[], starts: string[], kind: 'line' | 'bars' = 'line'): HTMLElement {
  const w = 600;
  const hgt = 140;
  const pad = { l: 44, r: 8, t: 10, b: 22 };
  // NaN marks a minute with nothing to show (no requests): a gap, not a zero.
  const max = Math.max(1e-9, ...series.flatMap((s) => s.values.filter((v) => !Number.isNaN(v))));
  const n = Math.max(1, starts.length - 1);
  const x = (i: number) => pad.l + (i / n) * (w - pad.l - pad.r);
  const y = (v: number) => hgt - pad.b - (v / max) * (hgt - pad.t - pad.b);
  const svg = el('svg', { viewBox: `0 0 ${w} ${hgt}`, role: 'img', class: 'chart' }) as SVGSVGElement;
  const summary = series.map((s) => {
    const known = s.values.filter((v) => !Number.isNaN(v));
    return `${s.label}: peak ${Math.max(0, ...known)} ${unit}${kind === 'bars' ? `, total ${round(known.reduce((a, b) => a + b, 0))}` : ''}`;
  }).join('; ');
  svg.setAttribute('aria-label', `${title}, last hour. ${summary}`);
  for (const frac of [0, 0.5, 1]) {
    const v = max * frac;
    svg.append(el('line', { x1: pad.l, x2: w - pad.r, y1: y(v), y2: y(v), class: 'grid' }));
    const t = el('text', { x: pad.l - 4, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' });
    t.textContent = String(round(v));
    svg.append(t);
  }
  for (const [i, label] of [[0, starts[0]], [starts.length - 1, starts[starts.length - 1]]] as [number, string | undefined][]) {
    if (!label) continue;
    const t = el('text', { x: x(i), y: hgt - 6, 'text-anchor': i === 0 ? 'start' : 'end', class: 'axis' });
    t.textContent = new Date(label).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
    svg.append(t);
  }
  const slot = (w - pad.l - pad.r) / Math.max(1, starts.length);
  for (const s of series) {
    if (kind === 'bars') {
      s.values.forEach((v, i) => {
        if (v > 0) svg.append(el('rect', { x: pad.l + i * slot + 0.5, y: y(v), width: Math.max(1, slot - 1), height: y(0) - y(v), class: `bar ${s.className}` }));
      });
      continue;
    }
    const d = s.values.map((v, i) => (Number.isNaN(v) ? '' : `${i === 0 || Number.isNaN(s.values[i - 1]!) ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)}`)).join(' ');
    svg.append(el('path', { d, class: `line ${s.className}` }));
    s.values.forEach((v, i) => { if (!Number.isNaN(v)) svg.append(el('circle', { cx: x(i), cy: y(v), r: 2.5, class: `dot ${s.className}` })); });
  }
  const fig = document.createElement('figure');
  const cap = document.createElement('figcaption');
  cap.textContent = `${title} (${unit})`;
  const legend = document.createElement('span');
  legend.className = 'legend';
  for (const s of series) {
    const item = document.createElement('span');
    item.className = `key ${s.className}`;
    item.textContent = s.label;
    legend.append(item);
  }
  cap.append(' ', legend);
  fig.append(cap, svg);
  return fig;
}

const round = (n: number) => Math.round(n * 100) / 100;
