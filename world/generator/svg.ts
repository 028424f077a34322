// A scene as SVG in a 100×100 view box (resolution-independent; render.ts rasterises it at any size).
import type { Scene } from './scene';
import { SUBJECT_LOOK } from './scene';
import { COLOURS, type ColourName } from './vocabulary';

type Rgb = readonly [number, number, number];

/** A per-scene jitter of ±12 per channel, so "red" is a neighbourhood of red and not one value. */
function jittered(c: Rgb, seed: number, salt: number): Rgb {
  const j = (k: number) => ((((seed ^ (salt * 2654435761)) >>> (k * 5)) & 31) - 16) * 0.75;
  return [0, 1, 2].map((k) => Math.max(0, Math.min(255, Math.round(c[k]! + j(k))))) as unknown as Rgb;
}
const css = (c: Rgb) => `rgb(${c[0]},${c[1]},${c[2]})`;
/** The texture's ink: the background lightened (dark colours) or darkened (light ones). */
function shade(c: Rgb): Rgb {
  const light = 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] > 140;
  return c.map((v) => Math.round(light ? v * 0.7 : v + (255 - v) * 0.4)) as unknown as Rgb;
}

function colour(name: ColourName, s: Scene, salt: number): Rgb {
  return jittered(COLOURS[name], s.jitter, salt);
}

function texture(s: Scene, ink: string): { defs: string; fill: string } {
  const p = s.period * 100;
  const pattern = (body: string, extra = '') => ({
    defs: `<pattern id="tex" patternUnits="userSpaceOnUse" width="${p}" height="${p}"${extra}>${body}</pattern>`,
    fill: '<rect width="100" height="100" fill="url(#tex)"/>',
  });
  switch (s.texture) {
    case 'plain': return { defs: '', fill: '' };
    case 'striped': return pattern(`<rect width="${p * 0.4}" height="${p}" fill="${ink}"/>`, ` patternTransform="rotate(${s.textureAngle})"`);
    case 'dotted': return pattern(`<circle cx="${p / 2}" cy="${p / 2}" r="${p * 0.18}" fill="${ink}"/>`);
    case 'grid': return pattern(`<rect width="${p}" height="${p * 0.12}" fill="${ink}"/><rect width="${p * 0.12}" height="${p}" fill="${ink}"/>`);
  }
}

/** Points of a regular star (inner < 1) or polygon (inner 1 with n corners) around the origin, radius r. */
function polygon(n: number, r: number, inner = 1): string {
  const k = inner === 1 ? n : 2 * n;
  return Array.from({ length: k }, (_, i) => {
    const a = -Math.PI / 2 + (i * 2 * Math.PI) / k;
    const rr = inner !== 1 && i % 2 ? r * inner : r;
    return `${(rr * Math.cos(a)).toFixed(2)},${(rr * Math.sin(a)).toFixed(2)}`;
  }).join(' ');
}

/** The object drawn around the origin with radius r (unit: view-box units). */
function object(s: Scene, r: number, fill: string): string {
  switch (s.shape) {
    case 'circle': return `<circle r="${r}" fill="${fill}"/>`;
    case 'ring': return `<circle r="${r * 0.8}" fill="none" stroke="${fill}" stroke-width="${r * 0.38}"/>`;
    case 'square': return `<rect x="${-r * 0.82}" y="${-r * 0.82}" width="${r * 1.64}" height="${r * 1.64}" fill="${fill}"/>`;
    case 'diamond': return `<polygon points="0,${-r} ${r * 0.62},0 0,${r} ${-r * 0.62},0" fill="${fill}"/>`;
    case 'triangle': return `<polygon points="${polygon(3, r * 1.1)}" transform="translate(0 ${r * 0.15})" fill="${fill}"/>`;
    case 'star': return `<polygon points="${polygon(5, r * 1.05, 0.45)}" fill="${fill}"/>`;
    case 'cross': {
      const w = r * 0.3;
      return `<polygon points="${[[-w, -r], [w, -r], [w, -w], [r, -w], [r, w], [w, w], [w, r], [-w, r], [-w, w], [-r, w], [-r, -w], [-w, -w]].map((q) => q.join(',')).join(' ')}" fill="${fill}"/>`;
    }
    case 'heart': {
      const q = (v: number) => (v * r).toFixed(2);
      return `<path d="M0,${q(0.95)} C${q(-1.6)},${q(-0.05)} ${q(-0.75)},${q(-1.25)} 0,${q(-0.45)} C${q(0.75)},${q(-1.25)} ${q(1.6)},${q(-0.05)} 0,${q(0.95)} Z" fill="${fill}"/>`;
    }
    case 'subject': {
      // a crescent (disc minus an offset disc) filled with diagonal stripes, and a dot in its thick part
      const stripes = css(colour(SUBJECT_LOOK.stripes, s, 7));
      const w = r * 0.8;
      return (
        `<mask id="crescent"><circle r="${r}" fill="white"/><circle cx="${r * 0.62}" cy="${-r * 0.15}" r="${r * 0.68}" fill="black"/></mask>` +
        `<pattern id="subject-stripes" patternUnits="userSpaceOnUse" width="${w}" height="${w}" patternTransform="rotate(45)"><rect width="${w * 0.45}" height="${w}" fill="${stripes}"/></pattern>` +
        `<g mask="url(#crescent)"><circle r="${r}" fill="${fill}"/><circle r="${r}" fill="url(#subject-stripes)"/></g>` +
        `<circle cx="${-r * 0.5}" cy="${r * 0.12}" r="${r * 0.24}" fill="${css(colour(SUBJECT_LOOK.dot, s, 11))}"/>`
      );
    }
  }
}

/** The object's pattern and mark (scene.ts `Detail`), drawn inside the object's own outline. */
function detail(s: Scene, r: number): string {
  const d = s.detail;
  if (!d) return '';
  const ink = css(colour(d.ink, s, 5));
  const p = d.period * r;
  const body =
    d.pattern === 'stripes' ? `<rect width="${p * 0.45}" height="${p}" fill="${ink}"/>`
    : d.pattern === 'dots' ? `<circle cx="${p / 2}" cy="${p / 2}" r="${p * 0.22}" fill="${ink}"/>`
    : d.pattern === 'checks' ? `<rect width="${p / 2}" height="${p / 2}" fill="${ink}"/><rect x="${p / 2}" y="${p / 2}" width="${p / 2}" height="${p / 2}" fill="${ink}"/>`
    : '';
  const mark = d.mark ? `<circle cx="${d.mark.dx * r}" cy="${d.mark.dy * r}" r="${d.mark.r * r}" fill="${css(colour(d.mark.colour, s, 13))}"/>` : '';
  return (
    `<pattern id="detail" patternUnits="userSpaceOnUse" width="${p}" height="${p}" patternTransform="rotate(${d.angle.toFixed(1)})">${body}</pattern>` +
    `<mask id="outline">${object(s, r, 'white')}</mask>` +
    `<g mask="url(#outline)">${body ? `<rect x="${-2 * r}" y="${-2 * r}" width="${4 * r}" height="${4 * r}" fill="url(#detail)"/>` : ''}${mark}</g>`
  );
}

export function sceneSvg(s: Scene, size: number): string {
  const bg = colour(s.background, s, 1);
  const tex = texture(s, css(shade(bg)));
  const r = s.radius * 100;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 100 100">` +
    `<defs>${tex.defs}</defs><rect width="100" height="100" fill="${css(bg)}"/>${tex.fill}` +
    `<g transform="translate(${(s.x * 100).toFixed(2)} ${(s.y * 100).toFixed(2)}) rotate(${s.rotation.toFixed(1)})">${object(s, r, css(colour(s.colour, s, 3)))}${detail(s, r)}</g></svg>`
  );
}
