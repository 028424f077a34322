// Python's `re` character classes for str patterns, for regexes that must match exactly what the
// reference's do. JavaScript's differ: its \s has no \x1c-\x1f or \x85 but has \ufeff, and its \w (even
// with the u flag) is ASCII only. Both are class bodies, to be used inside [...].

/** Python's `\s`: the characters for which str.isspace() is true. */
export const PY_WHITESPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

/** Python's `\w`: letters, digits and other numerals (str.isalnum()), and "_". Needs the u flag. */
export const PY_WORD = '\\p{L}\\p{N}_';
