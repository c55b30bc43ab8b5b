/**
 * COPY FROM STDIN in text format for bulk writes to a PostgreSQL server (never PGlite: COPY
 * through its socket kills the process). Lines are sent in chunks of many rows each, so a
 * batch is a few dozen stream writes rather than one per row.
 */
import { once } from "node:events";
import type { Queryable, Sql, Tx } from "./client.ts";

const SPECIAL = /[\\\t\n\r]/;
const SPECIALS = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/** One value as a COPY text field: `\N` for NULL, backslash escapes for the four specials. */
export function copyField(value: string | null): string {
  if (value === null) return "\\N";
  return SPECIAL.test(value) ? value.replace(SPECIALS, (c) => ESCAPES[c]!) : value;
}

/**
 * True when `sql` reaches a server that takes COPY: a PostgreSQL server, not PGlite (which can
 * also sit behind a URL, as in `deno task demo`) and not a server it cannot ask. Unnest writes
 * work everywhere, so any doubt answers false.
 */
export async function serverTakesCopy(sql: Queryable): Promise<boolean> {
  try {
    const [row] = await sql<{ pglite: boolean }[]>`select version() like '%PGlite%' as pglite`;
    return row?.pglite === false;
  } catch {
    return false;
  }
}

/** Where a COPY has got to, for a writer that overlaps its own work with the server's. */
export interface CopyProgress {
  /** Every chunk is with the connection; the server may still be reading them. */
  readonly onSent?: () => void;
  /** The server has taken every row; the COMMIT that makes them visible is still to come. */
  readonly onCopied?: () => void;
}

/**
 * Streams `chunks` (whole lines of tab-separated fields, as text or UTF-8 bytes, e.g. from a
 * CopyBuffer of db/_copy_buffer.ts) into `table (columns)` as one COPY in
 * its own transaction (a savepoint inside one), and throws if the COPY failed, having inserted
 * nothing. Needs the pool or a transaction, not a reserved connection.
 */
export async function copyInto(
  sql: Queryable,
  table: string,
  columns: readonly string[],
  chunks: Iterable<string | Uint8Array>,
  progress: CopyProgress = {},
): Promise<void> {
  const run = async (tx: Queryable) => {
    const stream = await tx`copy ${tx(table)} (${tx(columns as string[])}) from stdin`.writable();
    // postgres.js 3.4.9 drops an error the server reports after the last chunk (the stream
    // never finishes, so awaiting it would hang), and refuses other queries until its final()
    // has sent CopyDone. So: wait for final() to be called, then run one more statement on the
    // same connection, which fails ("current transaction is aborted") if the COPY did.
    const sent = new Promise<void>((resolve, reject) => {
      const final = stream._final!.bind(stream);
      stream._final = (callback) => {
        final(callback);
        resolve();
      };
      stream.on("error", reject);
    });
    sent.catch(() => {}); // awaited below; this only keeps an early error from being "unhandled"
    for (const chunk of chunks) {
      if (!stream.write(chunk)) await Promise.race([once(stream, "drain"), sent]);
    }
    stream.end();
    await sent;
    progress.onSent?.();
    await tx`select 1`;
    progress.onCopied?.();
  };
  if ("savepoint" in sql) await (sql as Tx).savepoint(run);
  else if ("begin" in sql) await (sql as Sql).begin(run);
  else throw new TypeError("COPY needs the pool or a transaction, not a reserved connection");
}
