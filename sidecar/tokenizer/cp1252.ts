import { charmapNamed } from './charmaps';

/** Windows-1252's characters for the bytes 0x80–0x9f, read sloppily as ftfy (and html.unescape for
 *  numeric references) does: the five bytes the encoding leaves undefined stand for themselves. */
export const CP1252_C1 = charmapNamed('sloppy-windows-1252').chars.slice(0x80, 0xa0);
