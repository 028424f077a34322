// Byte-pair encoding of one pre-token (Sennrich et al. 2016, as in CLIP's simple_tokenizer): start
// from single characters with "</w>" glued to the last one, then repeatedly merge the adjacent pair
// with the lowest merge rank until no ranked pair is left.

export class Bpe {
  private readonly ranks = new Map<string, number>();
  private readonly cache = new Map<string, string[]>();

  /** `merges`: pairs in priority order ("a b" lines of merges.txt, without the version line). */
  constructor(merges: readonly string[]) {
    merges.forEach((m, i) => this.ranks.set(m, i));
  }

  /** Splits a byte-encoded pre-token into BPE symbols. */
  encode(token: string): string[] {
    const hit = this.cache.get(token);
    if (hit) return hit;
    const chars = [...token];
    let word = [...chars.slice(0, -1), `${chars[chars.length - 1] ?? ''}</w>`];
    while (word.length > 1) {
      let best = Infinity;
      let first = '';
      let second = '';
      for (let i = 0; i + 1 < word.length; i++) {
        const r = this.ranks.get(`${word[i]} ${word[i + 1]}`);
        if (r !== undefined && r < best) [best, first, second] = [r, word[i]!, word[i + 1]!];
      }
      if (best === Infinity) break;
      const merged: string[] = [];
      for (let i = 0; i < word.length; i++) {
        if (word[i] === first && word[i + 1] === second) {
          merged.push(first + second);
          i++;
        } else merged.push(word[i]!);
      }
      word = merged;
    }
    if (this.cache.size < 100_000) this.cache.set(token, word);
    return word;
  }
}
