/** Windows-1252's characters for the bytes 0x80–0x9f, read sloppily as ftfy (and html.unescape for
 *  numeric references) does: the five bytes the encoding leaves undefined stand for themselves. */
export const CP1252_C1 = '€\x81‚ƒ„…†‡ˆ‰Š‹Œ\x8dŽ\x8f\x90‘’“”•–—˜™š›œ\x9džŸ';
