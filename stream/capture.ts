/**
 * Book events as NDJSON, one event per line: the live scanner can append what it consumes
 * (`PMCOLLECT_SCANNER_CAPTURE`), and `pmcollect backtest --from-file` replays such a file
 * through the same scanner. Reading parses each line with zod (a file is an edge); a bad line
 * is counted and skipped.
 *
 * @example
 * ```ts ignore
 * import { readBookEvents, writeBookEventLine } from "./capture.ts";
 * for await (const event of readBookEvents(path, { signal })) scanner.push(event);
 * ```
 */
import { z } from "zod";
import type { BookEvent } from "./book_event.ts";

const decimal = z.string().regex(/^\d+(\.\d+)?$/);
const level = z.tuple([decimal, decimal]).readonly();
const base = {
  tokenId: z.string().regex(/^\d+$/),
  exchangeTs: z.number().int(),
  receivedAt: z.number().int(),
  connection: z.number().int(),
  sequence: z.number().int(),
};
const BookEventSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("book"),
    ...base,
    bids: z.array(level),
    asks: z.array(level),
    tickSize: decimal.nullable(),
  }),
  z.object({
    kind: z.literal("price_change"),
    ...base,
    changes: z.array(z.object({ price: decimal, size: decimal, side: z.enum(["BUY", "SELL"]) })),
  }),
  z.object({ kind: z.literal("tick_size_change"), ...base, newTickSize: decimal }),
  z.object({
    kind: z.literal("book_closed"),
    ...base,
    reason: z.enum(["segment_end", "gap", "resolved"]),
  }),
]) satisfies z.ZodType<BookEvent>;

/** One event as one NDJSON line (with its newline). */
export function bookEventLine(event: BookEvent): string {
  return JSON.stringify(event) + "\n";
}

/** Parses one line; null when it is not a book event. */
export function parseBookEventLine(line: string): BookEvent | null {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return null;
  }
  const parsed = BookEventSchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

/** The events of an NDJSON file in file order; `rejected` counts bad lines. */
export async function* readBookEvents(
  path: string,
  options: { readonly signal?: AbortSignal; readonly rejected?: { count: number } } = {},
): AsyncGenerator<BookEvent> {
  const file = await Deno.open(path);
  const lines = file.readable.pipeThrough(new TextDecoderStream());
  let rest = "";
  try {
    for await (const chunk of lines) {
      options.signal?.throwIfAborted();
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      for (const line of parts) {
        if (line.trim() === "") continue;
        const event = parseBookEventLine(line);
        if (event === null) {
          if (options.rejected !== undefined) options.rejected.count++;
        } else yield event;
      }
    }
    if (rest.trim() !== "") {
      const event = parseBookEventLine(rest);
      if (event === null) {
        if (options.rejected !== undefined) options.rejected.count++;
      } else yield event;
    }
  } finally {
    try {
      file.close();
    } catch {
      // already closed by the stream
    }
  }
}

/** Appends events to an NDJSON file, buffered; `close()` writes the rest. */
export class BookEventCapture {
  readonly #file: Deno.FsFile;
  readonly #encoder = new TextEncoder();
  #buffer: string[] = [];
  #size = 0;

  private constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  static async open(path: string): Promise<BookEventCapture> {
    return new BookEventCapture(await Deno.open(path, { append: true, create: true }));
  }

  push(event: BookEvent): void {
    const line = bookEventLine(event);
    this.#buffer.push(line);
    this.#size += line.length;
    if (this.#size > 1 << 20) this.flush();
  }

  flush(): void {
    if (this.#buffer.length === 0) return;
    const bytes = this.#encoder.encode(this.#buffer.join(""));
    this.#buffer = [];
    this.#size = 0;
    let written = 0;
    while (written < bytes.length) written += this.#file.writeSync(bytes.subarray(written));
  }

  close(): void {
    this.flush();
    this.#file.close();
  }
}
