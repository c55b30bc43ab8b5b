/**
 * Spill files of the stream recorder: while the database is away, held rows are written as
 * NDJSON (one `BookEventRow` a line) in their own folder, one file per spill, and
 * written back in file order once it answers. A file is deleted only after all its rows are
 * stored; a crash in between replays it again, which inserts nothing twice.
 *
 * @example
 * ```ts
 * import { StreamSpill } from "./_spill.ts";
 * const spill = new StreamSpill("./data/spill_stream");
 * await spill.write(rows);
 * await spill.replay((batch) => insertBookEvents(sql, batch, { method: "copy" }));
 * ```
 */
import type { BookEventRow } from "../db/book_events.ts";

const BATCH = 20_000;

export class StreamSpill {
  readonly dir: string;
  #n = 0;

  /** `dir` holds nothing else (the trade queue's spill folder is another). */
  constructor(dir: string) {
    this.dir = dir;
  }

  /** Writes `rows` to a new file and syncs it. */
  async write(rows: readonly BookEventRow[]): Promise<void> {
    if (rows.length === 0) return;
    await Deno.mkdir(this.dir, { recursive: true });
    const first = rows[0]!;
    const name = `${first.session}-${String(first.seq).padStart(16, "0")}-${this.#n++}.ndjson`;
    const text = rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
    const file = await Deno.open(`${this.dir}/${name}.part`, { write: true, create: true });
    try {
      await file.write(new TextEncoder().encode(text));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(`${this.dir}/${name}.part`, `${this.dir}/${name}`);
  }

  /** Hands every spilled row to `store` in batches, file by file, deleting each file after. */
  async replay(store: (rows: BookEventRow[]) => Promise<unknown>): Promise<number> {
    let names: string[];
    try {
      names = [];
      for await (const e of Deno.readDir(this.dir)) {
        if (e.isFile && e.name.endsWith(".ndjson")) names.push(e.name);
      }
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return 0;
      throw err;
    }
    let total = 0;
    for (const name of names.sort()) {
      const path = `${this.dir}/${name}`;
      const lines = (await Deno.readTextFile(path)).split("\n").filter((l) => l !== "");
      const rows = lines.map((l) => JSON.parse(l) as BookEventRow);
      for (let i = 0; i < rows.length; i += BATCH) await store(rows.slice(i, i + BATCH));
      await Deno.remove(path);
      total += rows.length;
    }
    return total;
  }
}
