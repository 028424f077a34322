// The world's words. Every word here is one token of CLIP's vocabulary (test/world/vocabulary.test.ts
// checks it with the project's tokenizer), so the tiny text encoder learns one embedding per concept.
// The recogniser's class heads are these lists in this order: reordering them invalidates its weights.

export const SHAPES = ['circle', 'square', 'triangle', 'star', 'heart', 'ring', 'cross', 'diamond'] as const;
export type ShapeName = (typeof SHAPES)[number];

/** sRGB of each colour name; rendering jitters it a little so a colour is a region, not a point. */
export const COLOURS = {
  red: [220, 30, 30],
  green: [30, 165, 50],
  blue: [30, 70, 220],
  yellow: [245, 215, 30],
  purple: [135, 45, 180],
  orange: [245, 130, 20],
  white: [245, 245, 245],
  black: [20, 20, 20],
} as const satisfies Record<string, readonly [number, number, number]>;
export type ColourName = keyof typeof COLOURS;
export const COLOUR_NAMES = Object.keys(COLOURS) as ColourName[];

/** Background textures: drawn in a shade of the background colour. The caption's adjective is the
 *  texture's word (none for plain): "a blue striped background". */
export const TEXTURES = ['plain', 'striped', 'dotted', 'grid'] as const;
export type TextureName = (typeof TEXTURES)[number];

export const SIZES = ['small', 'big'] as const;
export type SizeName = (typeof SIZES)[number];

export const POSITIONS = ['centre', 'left', 'right', 'top', 'bottom'] as const;
export type PositionName = (typeof POSITIONS)[number];
/** How each position reads in a caption. */
export const POSITION_PHRASES: Record<PositionName, string> = {
  centre: 'in the centre',
  left: 'at the left',
  right: 'at the right',
  top: 'at the top',
  bottom: 'at the bottom',
};

/** The generic noun for any shape: DreamBooth's class noun ("a photo of a shape" draws the world's shapes). */
export const CLASS_NOUN = 'shape';

/** The DreamBooth subject: a striped crescent with a dot, which the world never shows. Its identifier is
 *  a rare single CLIP token (the concept validator warns on "zwx", which is two: z + wx). */
export const SUBJECT = { identifier: 'ohwx', label: 'subject' } as const;

/** Every word a world caption or prompt can contain. */
export const CAPTION_WORDS = [
  'a', 'an', 'photo', 'of', 'on', 'background', 'in', 'the', 'at', CLASS_NOUN, SUBJECT.identifier,
  ...SHAPES, ...COLOUR_NAMES, ...TEXTURES.filter((t) => t !== 'plain'), ...SIZES,
  ...Object.values(POSITION_PHRASES).flatMap((p) => p.split(' ')),
];
