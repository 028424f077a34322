// A line chart as inline SVG: no library, colours from the theme through CSS classes (dashboard.css),
// no inline styles (the page's CSP allows none). Points are (step, value); non-finite values break
// the line.
const SVG = 'http://www.w3.org/2000/svg';
const W = 640;
const H = 220;
const PAD = { left: 56, right: 12, top: 10, bottom: 26 };

export interface Series {
  /** Used as data-series (tests and styles) and in the legend. */
  name: string;
  /** CSS class that colours the line (s-instance, s-prior, …). */
  className: string;
  points: [number, number][];
  /** Drawn thin and faint (the raw series under its smoothed one). */
  faint?: boolean;
  /** Shown in the legend (the raw twin of a smoothed series is not). */
  legend?: boolean;
}

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

const label = (v: number) => (v === 0 ? '0' : Math.abs(v) >= 1e4 || Math.abs(v) < 1e-2 ? v.toExponential(1) : Number(v.toPrecision(3)).toString());

/** Draws `series` into `svg` (replacing what was there). */
export function drawChart(svg: SVGSVGElement, title: string, series: Series[]): void {
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', title);
  const finite = series.flatMap((s) => s.points.filter(([, y]) => Number.isFinite(y)));
  if (!finite.length) {
    svg.append(el('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'empty' }, `${title}: no steps yet`));
    return;
  }
  const xs = finite.map(([x]) => x);
  const ys = finite.map(([, y]) => y);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  if (y0 === y1) [y0, y1] = [y0 - (Math.abs(y0) || 1) * 0.1, y1 + (Math.abs(y1) || 1) * 0.1];
  const px = (x: number) => PAD.left + ((x - x0) / (x1 - x0)) * (W - PAD.left - PAD.right);
  const py = (y: number) => H - PAD.bottom - ((y - y0) / (y1 - y0)) * (H - PAD.top - PAD.bottom);

  const axes = el('g', { class: 'axes' });
  for (let i = 0; i <= 4; i++) {
    const y = y0 + ((y1 - y0) * i) / 4;
    axes.append(el('line', { x1: PAD.left, x2: W - PAD.right, y1: py(y), y2: py(y), class: 'grid' }), el('text', { x: PAD.left - 6, y: py(y) + 4, 'text-anchor': 'end' }, label(y)));
  }
  const xTicks = [...new Set([x0, Math.round((x0 + x1) / 2), x1].filter((x) => Number.isInteger(x)))];
  for (const x of xTicks) axes.append(el('text', { x: px(x), y: H - 8, 'text-anchor': 'middle' }, String(x)));
  svg.append(el('title', {}, title), axes);

  for (const s of series) {
    const g = el('g', { class: `series ${s.className}${s.faint ? ' faint' : ''}`, 'data-series': s.name });
    let run: string[] = [];
    const flush = () => {
      if (run.length > 1) g.append(el('polyline', { points: run.join(' '), fill: 'none' }));
      else if (run.length === 1) {
        const [cx, cy] = run[0]!.split(',');
        g.append(el('circle', { cx: cx!, cy: cy!, r: 2.5 }));
      }
      run = [];
    };
    for (const [x, y] of s.points) {
      if (Number.isFinite(y)) run.push(`${px(x).toFixed(1)},${py(y).toFixed(1)}`);
      else flush();
    }
    flush();
    g.setAttribute('data-points', String(s.points.filter(([, y]) => Number.isFinite(y)).length));
    svg.append(g);
  }
  const legend = series.filter((s) => s.legend !== false);
  legend.forEach((s, i) => {
    const x = PAD.left + 8 + i * 150;
    svg.append(el('line', { x1: x, x2: x + 16, y1: PAD.top + 6, y2: PAD.top + 6, class: `legend ${s.className}` }), el('text', { x: x + 20, y: PAD.top + 10, class: 'legend-text' }, s.name));
  });
}
