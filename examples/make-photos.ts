// Makes the example's instance photos: synthetic "portraits" of one made-up subject (the same face
// shape, hair and colours in every picture, seen at different sizes, crops, backgrounds and lighting),
// drawn as SVG and encoded by sharp. No third-party photos; rerun to reproduce them exactly:
//   node --import tsx examples/make-photos.ts [outDir]
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

interface Shot {
  file: string;
  width: number;
  height: number;
  /** Background gradient, top to bottom. */
  bg: [string, string];
  /** Face centre and radius, as fractions of the width/height. */
  cx: number;
  cy: number;
  r: number;
  /** Head tilt in degrees and how much light falls from the left (0..1). */
  tilt: number;
  light: number;
}

const SHOTS: Shot[] = [
  { file: '01.jpg', width: 640, height: 800, bg: ['#8ec5fc', '#e0c3fc'], cx: 0.5, cy: 0.42, r: 0.22, tilt: 0, light: 0.3 },
  { file: '02.jpg', width: 800, height: 600, bg: ['#f6d365', '#fda085'], cx: 0.4, cy: 0.45, r: 0.2, tilt: -8, light: 0.6 },
  { file: '03.png', width: 512, height: 512, bg: ['#a1c4fd', '#c2e9fb'], cx: 0.55, cy: 0.5, r: 0.28, tilt: 6, light: 0.2 },
  { file: '04.jpg', width: 480, height: 720, bg: ['#d4fc79', '#96e6a1'], cx: 0.5, cy: 0.38, r: 0.2, tilt: 3, light: 0.8 },
  { file: '05.png', width: 720, height: 540, bg: ['#434343', '#000000'], cx: 0.6, cy: 0.48, r: 0.24, tilt: -4, light: 0.5 },
  { file: '06.jpg', width: 600, height: 600, bg: ['#fbc2eb', '#a6c1ee'], cx: 0.48, cy: 0.52, r: 0.34, tilt: 10, light: 0.4 },
];

function svg(s: Shot): string {
  const { width: w, height: h } = s;
  const cx = s.cx * w;
  const cy = s.cy * h;
  const r = s.r * Math.min(w, h);
  const eyeY = cy - r * 0.12;
  const eyeDx = r * 0.36;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${s.bg[0]}"/><stop offset="1" stop-color="${s.bg[1]}"/></linearGradient>
    <radialGradient id="skin" cx="${0.5 - 0.25 * s.light}" cy="0.4" r="0.75"><stop offset="0" stop-color="#f3c9a8"/><stop offset="1" stop-color="#b97e5a"/></radialGradient>
  </defs>
  <rect width="${w}" height="${h}" fill="url(#bg)"/>
  <path d="M ${cx - r * 1.9} ${h} Q ${cx - r * 1.6} ${cy + r * 1.3} ${cx} ${cy + r * 1.25} Q ${cx + r * 1.6} ${cy + r * 1.3} ${cx + r * 1.9} ${h} Z" fill="#2d4a7a"/>
  <rect x="${cx - r * 0.28}" y="${cy + r * 0.7}" width="${r * 0.56}" height="${r * 0.6}" fill="#c89070"/>
  <g transform="rotate(${s.tilt} ${cx} ${cy})">
    <ellipse cx="${cx}" cy="${cy - r * 0.25}" rx="${r * 1.08}" ry="${r * 0.95}" fill="#5a3320"/>
    <ellipse cx="${cx}" cy="${cy}" rx="${r * 0.82}" ry="${r}" fill="url(#skin)"/>
    <ellipse cx="${cx - eyeDx}" cy="${eyeY}" rx="${r * 0.11}" ry="${r * 0.07}" fill="#fff"/>
    <ellipse cx="${cx + eyeDx}" cy="${eyeY}" rx="${r * 0.11}" ry="${r * 0.07}" fill="#fff"/>
    <circle cx="${cx - eyeDx}" cy="${eyeY}" r="${r * 0.05}" fill="#2e6b3a"/>
    <circle cx="${cx + eyeDx}" cy="${eyeY}" r="${r * 0.05}" fill="#2e6b3a"/>
    <path d="M ${cx - eyeDx - r * 0.14} ${eyeY - r * 0.16} q ${r * 0.14} ${-r * 0.07} ${r * 0.28} 0 M ${cx + eyeDx - r * 0.14} ${eyeY - r * 0.16} q ${r * 0.14} ${-r * 0.07} ${r * 0.28} 0" stroke="#3b2314" stroke-width="${r * 0.04}" fill="none"/>
    <path d="M ${cx} ${eyeY + r * 0.05} l ${-r * 0.07} ${r * 0.3} l ${r * 0.12} 0" stroke="#9a6446" stroke-width="${r * 0.03}" fill="none"/>
    <path d="M ${cx - r * 0.28} ${cy + r * 0.45} Q ${cx} ${cy + r * 0.62} ${cx + r * 0.28} ${cy + r * 0.45}" stroke="#a2463f" stroke-width="${r * 0.06}" fill="none" stroke-linecap="round"/>
    <circle cx="${cx + r * 0.45}" cy="${cy + r * 0.2}" r="${r * 0.035}" fill="#7a4a30"/>
  </g>
</svg>`;
}

export async function makePhotos(outDir: string): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  for (const s of SHOTS) {
    const img = sharp(Buffer.from(svg(s)));
    const path = join(outDir, s.file);
    if (s.file.endsWith('.png')) await img.png({ compressionLevel: 9 }).toFile(path);
    else await img.jpeg({ quality: 85 }).toFile(path);
    written.push(path);
  }
  return written;
}

if (require.main === module) {
  const out = process.argv[2] ?? join(__dirname, 'zwx', 'photos');
  makePhotos(out).then(
    (files) => console.log(`wrote ${files.length} photos to ${out}`),
    (e) => {
      console.error(`make-photos: ${(e as Error).message}`);
      process.exitCode = 1;
    },
  );
}
