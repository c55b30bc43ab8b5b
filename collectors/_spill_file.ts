/**
 * The trade queue's disk spill: append-only NDJSON files under `<dataDir>/spill/`, one line
 * per queued row, each append followed by `fdatasync` so a SIGKILL loses nothing that was
 * spilled. Files rotate at `maxBytes`; `replay` streams a file back in chunks (a torn last
 * line from a kill mid-write, or a damaged one, is rejected, not fatal) and removes it once
 * every chunk was accepted.
 *
 * @example
 * ```ts
 * import { SpillFiles } from "./_spill_file.ts";
 * const spill = new SpillFiles("./data/spill");
 * await spill.append([{ kind: "quote", row: { ts: new Date(), tokenId: "1", bestBid: null, bestAsk: null } }]);
 * ```
 */
import type { GapRow } from "../db/ops.ts";
import type { QuoteRow, TradeRow } from "../db/trades.ts";
import { isStorableText, parseDecimal } from "../polymarket/ids.ts";

/** One row waiting to be written. */
export type QueueItem =
  | { readonly kind: "trade"; readonly row: TradeRow }
  | { readonly kind: "quote"; readonly row: QuoteRow }
  | { readonly kind: "gap"; readonly row: GapRow };

/** How `SpillFiles.replay` hands rows back. */
export interface ReplayOptions {
  readonly chunkRows: number;
  /** Takes one chunk of rows; throwing keeps the file for a later replay. */
  readonly accept: (items: QueueItem[]) => Promise<void>;
  /** Told about each line that is not a row, with the reason. */
  readonly reject?: (line: string, reason: string) => void;
}

const encoder = new TextEncoder();

/** Spill files of one directory; `append` writes to this process's current file. */
export class SpillFiles {
  readonly dir: string;
  readonly #maxBytes: number;
  #file: Deno.FsFile | null = null;
  #path: string | null = null;
  #bytes = 0;
  #seq = 0;
  #chain: Promise<void> = Promise.resolve();

  /** Files rotate after `maxBytes` (default 64 MiB). */
  constructor(dir: string, options: { maxBytes?: number } = {}) {
    this.dir = dir;
    this.#maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  }

  /** Bytes in the file currently being appended to. */
  get currentBytes(): number {
    return this.#bytes;
  }

  /** Appends rows and syncs them to disk; appends run one at a time in call order. */
  append(items: readonly QueueItem[]): Promise<void> {
    const run = this.#chain.then(() => this.#write(items));
    this.#chain = run.catch(() => {});
    return run;
  }

  /** Closes the current file so it can be replayed; later appends open a new one. */
  async rotate(): Promise<void> {
    await this.#chain;
    this.#file?.close();
    this.#file = null;
    this.#path = null;
    this.#bytes = 0;
  }

  /** Spill files other than the one being appended to, oldest first, with their sizes. */
  async list(): Promise<{ path: string; bytes: number }[]> {
    const out: { path: string; bytes: number }[] = [];
    try {
      for await (const e of Deno.readDir(this.dir)) {
        if (!e.isFile || !e.name.endsWith(".ndjson")) continue;
        const path = `${this.dir}/${e.name}`;
        if (path === this.#path) continue;
        out.push({ path, bytes: (await Deno.stat(path)).size });
      }
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    return out.sort((a, b) => a.path.localeCompare(b.path));
  }

  /**
   * Streams `path` to `accept` in chunks of `chunkRows`, then deletes the file. If `accept`
   * throws, the file stays (a later replay repeats it; the writes are idempotent). A line that
   * is not a row (torn by a kill, damaged by hand, a value no table can hold) goes to `reject`
   * and the replay goes on. Returns rows read and lines rejected.
   */
  async replay(path: string, options: ReplayOptions): Promise<{ rows: number; skipped: number }> {
    const { chunkRows, accept, reject } = options;
    using file = await Deno.open(path, { read: true });
    let rest = "";
    let chunk: QueueItem[] = [];
    let rows = 0;
    let skipped = 0;
    const take = (line: string) => {
      if (line === "") return;
      const item = decode(line);
      if (typeof item !== "string") return void chunk.push(item);
      skipped++;
      reject?.(line, item);
    };
    for await (const text of file.readable.pipeThrough(new TextDecoderStream())) {
      const lines = (rest + text).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) take(line);
      if (chunk.length >= chunkRows) {
        await accept(chunk);
        rows += chunk.length;
        chunk = [];
      }
    }
    take(rest);
    if (chunk.length > 0) await accept(chunk);
    rows += chunk.length;
    await Deno.remove(path);
    return { rows, skipped };
  }

  /** Closes the current file. */
  async close(): Promise<void> {
    await this.rotate();
  }

  async #write(items: readonly QueueItem[]): Promise<void> {
    if (items.length === 0) return;
    if (this.#file === null || this.#bytes >= this.#maxBytes) {
      this.#file?.close();
      await Deno.mkdir(this.dir, { recursive: true });
      const name = `spill-${String(Date.now()).padStart(15, "0")}-${Deno.pid}-${this.#seq++}`;
      this.#path = `${this.dir}/${name}.ndjson`;
      this.#file = await Deno.open(this.#path, { append: true, create: true });
      this.#bytes = 0;
    }
    let text = "";
    for (const item of items) text += JSON.stringify(item) + "\n";
    const bytes = encoder.encode(text);
    for (let off = 0; off < bytes.length;) off += await this.#file.write(bytes.subarray(off));
    await this.#file.syncData();
    this.#bytes += bytes.length;
  }
}

/** One NDJSON line back to a row (dates were written as ISO strings), or why it is not one. */
function decode(line: string): QueueItem | string {
  let v: { kind?: string; row?: Record<string, unknown> };
  try {
    v = JSON.parse(line);
  } catch {
    return "not JSON (torn or damaged line)";
  }
  const r = v?.row;
  if (r === undefined || r === null || typeof r !== "object") return "no row";
  const bad = (fields: readonly string[], check: (x: unknown) => boolean) =>
    fields.find((f) => !check(r[f]));
  if (v.kind === "trade") {
    const field = bad(["ts"], isDate) ?? bad(["receivedAt"], isOptionalDate) ??
      bad(["price", "size"], isDecimal) ?? bad(["feeRateBps"], isOptionalDecimal) ??
      bad(["tokenId", "tradeKey"], isText) ?? bad(["conditionId", "txHash"], isOptionalText);
    if (field !== undefined) return `trade.${field}: invalid value`;
    return {
      kind: "trade",
      row: { ...r, ts: date(r.ts), receivedAt: date(r.receivedAt) } as unknown as TradeRow,
    };
  }
  if (v.kind === "quote") {
    const field = bad(["ts"], isDate) ?? bad(["bestBid", "bestAsk"], isOptionalDecimal) ??
      bad(["tokenId"], isText);
    if (field !== undefined) return `quote.${field}: invalid value`;
    return { kind: "quote", row: { ...r, ts: date(r.ts) } as unknown as QuoteRow };
  }
  if (v.kind === "gap") {
    const field = bad(["startAt", "endAt"], isDate) ??
      bad(["collector", "scope", "cause"], isText);
    if (field !== undefined) return `gap.${field}: invalid value`;
    return {
      kind: "gap",
      row: { ...r, startAt: date(r.startAt), endAt: date(r.endAt) } as unknown as GapRow,
    };
  }
  return `unknown kind ${JSON.stringify(v.kind)?.slice(0, 40)}`;
}

function date(x: unknown): Date | null {
  return typeof x === "string" ? new Date(x) : null;
}

function isDate(x: unknown): boolean {
  return typeof x === "string" && !Number.isNaN(new Date(x).getTime());
}

function isOptionalDate(x: unknown): boolean {
  return x === null || x === undefined || isDate(x);
}

/** Rows were spilled with canonical, bounded decimals: anything else was damaged. */
function isDecimal(x: unknown): boolean {
  return typeof x === "string" && parseDecimal(x) === x;
}

function isOptionalDecimal(x: unknown): boolean {
  return x === null || x === undefined || isDecimal(x);
}

function isText(x: unknown): boolean {
  return typeof x === "string" && isStorableText(x);
}

function isOptionalText(x: unknown): boolean {
  return x === null || x === undefined || isText(x);
}
