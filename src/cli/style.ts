// Colour for people at a terminal, never in pipes or files: the program decides once (stdout is a
// TTY, NO_COLOR unset) and every formatter takes that decision as a plain boolean, so formatters
// stay pure and tests compare text.
import { styleText } from "node:util";

export type Tone = "good" | "bad" | "warn" | "dim" | "bold";

const formats: Record<Tone, Parameters<typeof styleText>[0]> = {
  good: "green",
  bad: "red",
  warn: "yellow",
  dim: "dim",
  bold: "bold",
};

/** Styles `text` when `color` is on; plain otherwise. */
export function paint(color: boolean, tone: Tone, text: string): string {
  return color ? styleText(formats[tone], text, { validateStream: false }) : text;
}

/** Whether to colour what goes to `stream`: a terminal, and the user has not asked for none. */
export function colorFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== "dumb";
}

/** A cell of a table: its text and, optionally, how to colour it. */
export interface Cell {
  text: string;
  tone?: Tone | undefined;
}

/**
 * Columns padded to their widest cell, two spaces apart, as kubectl prints them. Widths are taken
 * from the plain text, so colour never shifts a column. The last column is not padded.
 */
export function table(rows: (Cell | string)[][], color: boolean, indent = ""): string[] {
  const cells = rows.map((r) => r.map((c) => (typeof c === "string" ? { text: c } : c)));
  const widths: number[] = [];
  for (const row of cells) {
    row.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, c.text.length);
    });
  }
  return cells.map(
    (row) =>
      indent +
      row
        .map((c, i) => {
          const padded = i === row.length - 1 ? c.text : c.text.padEnd(widths[i] ?? 0);
          return c.tone ? paint(color, c.tone, padded) : padded;
        })
        .join("  ")
        .trimEnd(),
  );
}
