// A scene: one object on one background, every attribute named by a world word (plus the numbers that
// place it). Drawing a scene from a seed is the world's only source of variety; svg.ts renders it.
import { WorldRandom } from './random';
import { COLOUR_NAMES, type ColourName, POSITIONS, type PositionName, SHAPES, type ShapeName, SIZES, type SizeName, SUBJECT, TEXTURES, type TextureName } from './vocabulary';

export type ObjectKind = ShapeName | typeof SUBJECT.label;

export interface Scene {
  shape: ObjectKind;
  /** The object's colour (for the subject: its body colour, which is fixed). */
  colour: ColourName;
  background: ColourName;
  texture: TextureName;
  size: SizeName;
  position: PositionName;
  /** Object centre and radius in the unit square; rotation in degrees. */
  x: number;
  y: number;
  radius: number;
  rotation: number;
  /** Texture period (unit square) and angle (stripes), and a small per-scene colour jitter seed. */
  period: number;
  textureAngle: number;
  jitter: number;
  /** Fine detail on the object, only in the VAE's codec set (never captioned): see `Detail`. */
  detail?: Detail;
}

/** A pattern in a second colour over the object and a mark in a third: detail the world's flat shapes
 *  lack, so the VAE learns to carry detail it will meet in things the world never shows (SD's VAE, too,
 *  was trained on far more than any DreamBooth subject). */
export interface Detail {
  pattern: (typeof DETAIL_PATTERNS)[number];
  ink: ColourName;
  /** Pattern period as a share of the object's radius, and its angle in degrees. */
  period: number;
  angle: number;
  /** A disc at (dx, dy)·radius from the centre, of radius r·radius; absent on some objects. */
  mark?: { colour: ColourName; dx: number; dy: number; r: number };
}
export const DETAIL_PATTERNS = ['none', 'stripes', 'dots', 'checks'] as const;

/** How far each shape may turn and still read as itself (a square at 45° is a diamond, a heart upside down is not a heart). */
const MAX_ROTATION: Record<ObjectKind, number> = { circle: 0, ring: 0, square: 20, diamond: 20, heart: 25, triangle: 180, star: 180, cross: 180, subject: 35 };

/** The subject's fixed look: a yellow crescent with purple stripes and a red dot. */
export const SUBJECT_LOOK = { body: 'yellow', stripes: 'purple', dot: 'red' } as const satisfies Record<string, ColourName>;

const RADIUS: Record<SizeName, [number, number]> = { small: [0.14, 0.18], big: [0.27, 0.33] };

export interface SceneOptions {
  /** Draw the DreamBooth subject instead of a world shape. */
  subject?: boolean;
  /** Fixed instead of drawn. */
  shape?: ShapeName;
  colour?: ColourName;
  size?: SizeName;
  position?: PositionName;
  background?: ColourName;
  texture?: TextureName;
  /** Add fine detail to a world shape (the VAE's codec set). */
  detail?: boolean;
}

export function drawScene(r: WorldRandom, o: SceneOptions = {}): Scene {
  if (o.subject && (o.shape || o.colour || o.detail)) throw new Error('world: the subject has its own shape and colour (and detail)');
  const shape: ObjectKind = o.subject ? SUBJECT.label : (o.shape ?? r.pick(SHAPES));
  const colour: ColourName = o.subject ? SUBJECT_LOOK.body : (o.colour ?? r.pick(COLOUR_NAMES));
  const avoid: readonly ColourName[] = o.subject ? Object.values(SUBJECT_LOOK) : [colour]; // the object must stand out
  const background = o.background ?? r.pick(COLOUR_NAMES.filter((c) => !avoid.includes(c)));
  if (avoid.includes(background)) throw new Error(`world: a ${background} background would hide the object`);
  const texture = o.texture ?? r.pick(TEXTURES);
  const size = o.size ?? r.pick(SIZES);
  const position = o.position ?? r.pick(POSITIONS);
  const radius = r.uniform(...RADIUS[size]);
  // positions stay inside the frame: the offset from the centre shrinks as the object grows
  const reach = 0.5 - radius - 0.03;
  const [dx, dy] = ({ centre: [0, 0], left: [-1, 0], right: [1, 0], top: [0, -1], bottom: [0, 1] } as const)[position];
  const wobble = () => r.uniform(-0.04, 0.04);
  const max = MAX_ROTATION[shape];
  const scene: Scene = {
    shape, colour, background, texture, size, position,
    x: 0.5 + dx * reach + wobble(),
    y: 0.5 + dy * reach + wobble(),
    radius,
    rotation: max ? r.uniform(-max, max) : 0,
    period: r.uniform(0.1, 0.16),
    textureAngle: r.pick([0, 45, 90, 135]),
    jitter: r.int(2 ** 31),
  };
  // drawn after everything else, so the world's own scenes are the same with or without this option
  if (o.detail) scene.detail = drawDetail(r, colour);
  return scene;
}

function drawDetail(r: WorldRandom, body: ColourName): Detail {
  const others = COLOUR_NAMES.filter((c) => c !== body);
  const pattern = r.pick(DETAIL_PATTERNS);
  const ink = r.pick(others);
  const period = r.uniform(0.3, 0.7);
  const angle = r.uniform(0, 180);
  const mark = r.chance(0.6) ? { colour: r.pick(others), dx: r.uniform(-0.5, 0.5), dy: r.uniform(-0.5, 0.5), r: r.uniform(0.15, 0.3) } : undefined;
  return { pattern, ink, period, angle, ...(mark ? { mark } : {}) };
}
