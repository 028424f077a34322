// Small text helpers shared by the validator and completions.

/** Levenshtein distance, for did-you-mean. */
export function editDistance(a: string, b: string): number {
  // one row of the DP table, b.length + 1 long: every prev[j] read below has 0 ≤ j ≤ b.length
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(tmp + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** The closest candidate when it is plausibly a typo of `word`. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** Words of a prompt, lower-cased. */
export function promptWords(prompt: string): string[] {
  return prompt.toLowerCase().match(/[\p{L}\p{N}_-]+/gu) ?? [];
}

/** The class noun of a class prompt: its last word ("photo of a person" → "person"). */
export function classNoun(classPrompt: string): string | undefined {
  const words = promptWords(classPrompt);
  return words[words.length - 1];
}

/**
 * A regular expression for `word` as CLIP sees words: not inside a longer run of letters (CLIP's
 * tokenizer splits text into runs of letters, single digits and punctuation).
 */
export function wordPattern(word: string, flags: string, suffix = ''): RegExp {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<!\\p{L})${escaped}${suffix}(?!\\p{L})`, flags);
}

/** Whether a prompt mentions `word` (or its plural), case-insensitively, as a whole word. */
export function mentions(prompt: string, word: string): boolean {
  return wordPattern(word, 'iu', '(?:e?s)?').test(prompt);
}
