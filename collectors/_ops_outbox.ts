/**
 * The outbox for a collector's own bookkeeping: `collector_runs` and `gaps` rows. During a
 * database outage the cycle that failed cannot write the rows that say so to the same dead
 * database; without an outbox the minute vanished (no snapshot, no gap, no run, so nothing for
 * `backfill --gaps-only` to find). Rows that cannot be written are kept in memory and in
 * `<dataDir>/outbox/<task>-<pid>.ndjson` (rewritten whole, then synced: a few rows a minute),
 * and every later `write` first flushes them, oldest first. A restart adopts the files an
 * earlier process of the same task left behind. The writes are upserts, so a row written twice
 * (a flush cut short) is harmless. A row the server itself rejects (a PostgresError that is not
 * "shutting down") is logged and dropped so it cannot block the queue.
 *
 * @example
 * ```ts ignore
 * import { createOpsOutbox } from "./_ops_outbox.ts";
 * const outbox = createOpsOutbox(deps, "prices");
 * await outbox.write([{ kind: "gaps", rows: [gap] }, { kind: "run", row: run }]); // never throws
 * ```
 */
import { type CollectorRunRow, type GapRow, recordCollectorRun, recordGaps } from "../db/ops.ts";
import { isConnectionError } from "../db/client.ts";
import type { CollectorDeps } from "./_deps.ts";

/** One bookkeeping write. */
export type OpsRecord =
  | { readonly kind: "run"; readonly row: CollectorRunRow }
  | { readonly kind: "gaps"; readonly rows: readonly GapRow[] };

/** Bookkeeping writes that survive a database outage. */
export interface OpsOutbox {
  /**
   * Writes what is pending, then `records`; whatever cannot be written now is kept for the
   * next call. Resolves true when nothing is left pending. Never rejects.
   */
  write(records: readonly OpsRecord[]): Promise<boolean>;
  /** Records waiting for the database. */
  readonly pending: number;
}

/** The outbox of `task`; files go under `<config.dataDir>/outbox` ("memory://": memory only). */
export function createOpsOutbox(
  deps: Pick<CollectorDeps, "sql" | "log" | "config">,
  task: string,
): OpsOutbox {
  const dir = deps.config.dataDir === "memory://" ? null : `${deps.config.dataDir}/outbox`;
  const own = dir === null ? null : `${dir}/${safeName(task)}-${Deno.pid}.ndjson`;
  const queue: OpsRecord[] = [];
  let adopted: string[] | null = null;
  let chain: Promise<boolean> = Promise.resolve(true);

  const adopt = async () => {
    if (dir === null || adopted !== null) return;
    adopted = [];
    for (const path of await listOutbox(dir, task)) {
      if (path === own) continue;
      queue.push(...await readRecords(path));
      adopted.push(path);
    }
    if (adopted.length > 0) deps.log.info("ops_outbox_adopted", { task, records: queue.length });
  };

  const flush = async (): Promise<boolean> => {
    while (queue.length > 0) {
      const record = queue[0]!;
      try {
        if (record.kind === "run") await recordCollectorRun(deps.sql, record.row);
        else await recordGaps(deps.sql, record.rows);
      } catch (err) {
        if (!isRejectedRow(err)) throw err;
        deps.log.error("ops_record_dropped", { task, kind: record.kind, error: err });
      }
      queue.shift();
    }
    return true;
  };

  const step = async (records: readonly OpsRecord[]): Promise<boolean> => {
    const before = queue.length;
    queue.push(...records);
    try {
      await adopt();
      await flush();
    } catch (err) {
      deps.log.warn("ops_records_queued", { task, pending: queue.length, error: err });
      await persist(own, queue).catch((e) =>
        deps.log.error("ops_outbox_not_saved", { task, path: own, error: e })
      );
      return false;
    }
    if (before > 0 || (adopted?.length ?? 0) > 0) {
      deps.log.info("ops_outbox_flushed", { task, records: before + records.length });
      for (const path of [...(adopted ?? []), ...(own === null ? [] : [own])]) {
        await Deno.remove(path).catch(() => {});
      }
      adopted = [];
    }
    return true;
  };

  return {
    write(records) {
      const run = chain.then(() => step(records));
      chain = run.catch(() => false);
      return run;
    },
    get pending() {
      return queue.length;
    },
  };
}

/** The server answered and refused this row: retrying cannot help. */
function isRejectedRow(err: unknown): boolean {
  return err instanceof Error && err.name === "PostgresError" && !isConnectionError(err);
}

function safeName(task: string): string {
  return task.replaceAll(/[^a-zA-Z0-9_]/g, "_");
}

async function listOutbox(dir: string, task: string): Promise<string[]> {
  const prefix = `${safeName(task)}-`;
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.startsWith(prefix) && e.name.endsWith(".ndjson")) {
        out.push(`${dir}/${e.name}`);
      }
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return out.sort();
}

/** Rewrites `path` with every pending record (a temporary file renamed over it, synced). */
async function persist(path: string | null, records: readonly OpsRecord[]): Promise<void> {
  if (path === null) return;
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  const tmp = `${path}.tmp`;
  const text = records.map((r) => JSON.stringify(r)).join("\n") + "\n";
  using file = await Deno.open(tmp, { write: true, create: true, truncate: true });
  await file.write(new TextEncoder().encode(text));
  await file.syncData();
  await Deno.rename(tmp, path);
}

/** Records of an outbox file (dates come back from ISO text); unreadable lines are skipped. */
async function readRecords(path: string): Promise<OpsRecord[]> {
  const out: OpsRecord[] = [];
  for (const line of (await Deno.readTextFile(path)).split("\n")) {
    if (line.trim() === "") continue;
    let v: { kind?: string; row?: Record<string, unknown>; rows?: Record<string, unknown>[] };
    try {
      v = JSON.parse(line);
    } catch {
      continue;
    }
    const date = (x: unknown) => (typeof x === "string" ? new Date(x) : null);
    if (v.kind === "run" && v.row !== undefined) {
      const row = {
        ...v.row,
        startedAt: date(v.row.startedAt),
        finishedAt: date(v.row.finishedAt),
      };
      out.push({ kind: "run", row: row as unknown as CollectorRunRow });
    } else if (v.kind === "gaps" && Array.isArray(v.rows)) {
      const rows = v.rows.map((g) => ({ ...g, startAt: date(g.startAt), endAt: date(g.endAt) }));
      out.push({ kind: "gaps", rows: rows as unknown as GapRow[] });
    }
  }
  return out;
}
