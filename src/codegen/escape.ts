/**
 * Escaping for text taken from the spec. Templates choose the context: `{{comment x}}` inside
 * `//` and `/** *\/` comments, `{{string x}}` for string literals.
 */

const LINE_TERMINATORS = /\r\n|[\r\n\u2028\u2029]/g;

/**
 * Text that stays inside one comment line: line breaks become a visible `\n` (a raw one would
 * end a `//` comment), `*\/` cannot close a block comment, a backtick cannot open a code span
 * in the hover text, and `@` cannot start a JSDoc tag (`@deprecated` in a description).
 */
export function commentText(text: string): string {
  return text
    .replace(LINE_TERMINATORS, "\\n")
    .replace(/\*\//g, "*\\/")
    .replace(/[`@]/g, "\\$&");
}

/** Split text into lines for a multi-line comment (every line still goes through commentText). */
export function textLines(text: string): string[] {
  return text.split(LINE_TERMINATORS);
}

/** A TypeScript string literal with exactly this value. */
export function stringLiteral(text: string): string {
  return JSON.stringify(text);
}
