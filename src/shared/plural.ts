/** `1 rule`, `3 rules`: a count with its noun (English, regular plurals only). */
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
