/**
 * What structure and proposals read in a question's text: dates, numbers (with k/m/b scales)
 * and the direction words that make a number a threshold.
 */

/** A month name or abbreviation. */
export const MONTH = "(?:january|february|march|april|may|june|july|august|september|october|" +
  "november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\\.?";
/** A date: month, optional day, optional year ("June 30, 2027", "March"). */
export const DATE = new RegExp(
  `\\b${MONTH}(?:\\s+\\d{1,2}(?:st|nd|rd|th)?)?(?:,?\\s+\\d{4})?\\b`,
  "gi",
);
/** A number, maybe in dollars or with a k/m/b scale. */
export const NUMBER = /\$?\d[\d,]*(?:\.\d+)?(?:\s?[kmb]\b)?/gi;
/** Wording that makes a higher threshold the stronger claim. */
export const ABOVE = /\b(above|over|greater than|more than|at least|reach|hit)\b|>/i;
/** Wording that makes a lower threshold the stronger claim. */
export const BELOW = /\b(below|under|less than|at most|dip to)\b|</i;

/** "$90,000" → 90000, "100k" → 100000. */
export function numberValue(text: string): number {
  const m = /^\$?([\d,]+(?:\.\d+)?)\s?([kmb])?$/i.exec(text.trim());
  if (m === null) return NaN;
  const scale = { k: 1e3, m: 1e6, b: 1e9 }[(m[2] ?? "").toLowerCase() as "k" | "m" | "b"] ?? 1;
  return Number(m[1]!.replaceAll(",", "")) * scale;
}
