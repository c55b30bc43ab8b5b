/**
 * Forward-only migrations, bundled into the binary (see migrations/bundle.ts). Each pending
 * migration runs in its own transaction under a per-schema advisory lock, and is recorded
 * with the SHA-256 of the SQL that ran. An applied migration whose text changed is an error,
 * never re-run. The first migration decides the mode: TimescaleDB when the extension can be
 * created (or is required), plain PostgreSQL otherwise; later runs keep the recorded mode.
 *
 * @example
 * ```ts
 * import { migrate } from "./migrate.ts";
 * const { mode, applied } = await migrate(db.sql, { log, timescale: "auto" });
 * ```
 */
import type { Queryable, Sql, Tx } from "./client.ts";
import type { Logger } from "../runtime/log.ts";
import { type BundledMigration, MIGRATIONS } from "../migrations/bundle.ts";

export type SchemaMode = "timescale" | "plain";

/** A migration problem the operator must fix (changed file, unknown version, missing extension). */
export class MigrationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "MigrationError";
  }
}

export interface MigrateOptions {
  readonly log: Logger;
  readonly timescale: "auto" | "require" | "off";
  readonly migrations?: readonly BundledMigration[];
}

export interface MigrationState {
  readonly version: number;
  readonly name: string;
  readonly state: "applied" | "pending";
  readonly checksum: string;
  readonly appliedAt: Date | null;
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
  mode: SchemaMode;
  applied_at: Date;
}

const LOCK = "select pg_advisory_xact_lock(hashtext('pmcollect.migrate:' || current_schema()))";

/** Applies every pending migration; returns the mode and the versions applied now. */
export async function migrate(
  sql: Sql,
  options: MigrateOptions,
): Promise<{ mode: SchemaMode; applied: number[] }> {
  const migrations = options.migrations ?? MIGRATIONS;
  const mode = await sql.begin(async (tx) => {
    await tx.unsafe(LOCK);
    await ensureLedger(tx);
    const rows = await readLedger(tx);
    return rows[0]?.mode ?? await chooseMode(tx, options);
  });
  const applied: number[] = [];
  for (const migration of migrations) {
    const text = migration.sql[mode];
    const checksum = await sha256(text);
    const done = await sql.begin(async (tx) => {
      await tx.unsafe(LOCK);
      const ledger = await readLedger(tx);
      verifyLedger(ledger, migrations, await checksums(migrations, mode));
      if (ledger.some((r) => r.version === migration.version)) return false;
      const started = performance.now();
      await tx.unsafe(text);
      await tx`insert into schema_migrations (version, name, checksum, mode)
               values (${migration.version}, ${migration.name}, ${checksum}, ${mode})`;
      options.log.info("migration_applied", {
        version: migration.version,
        name: migration.name,
        mode,
        durationMs: Math.round(performance.now() - started),
      });
      return true;
    });
    if (done) applied.push(migration.version);
  }
  return { mode, applied };
}

/** Applied and pending migrations with checksums, for `migrate --status`. */
export async function migrationStatus(
  sql: Sql,
  options: { migrations?: readonly BundledMigration[] } = {},
): Promise<{ mode: SchemaMode | null; migrations: MigrationState[] }> {
  const migrations = options.migrations ?? MIGRATIONS;
  const [exists] = await sql`select to_regclass('schema_migrations') is not null as ok`;
  const ledger = exists?.ok ? await readLedger(sql) : [];
  const mode = ledger[0]?.mode ?? null;
  const states: MigrationState[] = [];
  for (const m of migrations) {
    const row = ledger.find((r) => r.version === m.version);
    states.push({
      version: m.version,
      name: m.name,
      state: row === undefined ? "pending" : "applied",
      checksum: row?.checksum ?? await sha256(m.sql[mode ?? "plain"]),
      appliedAt: row?.applied_at ?? null,
    });
  }
  return { mode, migrations: states };
}

async function ensureLedger(sql: Queryable): Promise<void> {
  await sql`create table if not exists schema_migrations (
    version integer primary key,
    name text not null,
    checksum text not null,
    mode text not null check (mode in ('timescale', 'plain')),
    applied_at timestamptz not null default now()
  )`;
}

async function readLedger(sql: Queryable): Promise<AppliedRow[]> {
  return await sql<AppliedRow[]>`
    select version, name, checksum, mode, applied_at from schema_migrations order by version`;
}

function verifyLedger(
  ledger: AppliedRow[],
  migrations: readonly BundledMigration[],
  expected: Map<number, string>,
): void {
  for (const row of ledger) {
    const known = migrations.find((m) => m.version === row.version);
    if (known === undefined) {
      throw new MigrationError(
        `Database has migration ${row.version} (${row.name}) that this program does not know; ` +
          `run a newer pmcollect`,
      );
    }
    if (expected.get(row.version) !== row.checksum) {
      throw new MigrationError(
        `Migration ${row.version} (${row.name}) changed after it was applied: checksum ` +
          `${expected.get(row.version)?.slice(0, 12)} differs from recorded ` +
          `${row.checksum.slice(0, 12)}; add a new migration instead of editing an applied one`,
      );
    }
  }
}

async function checksums(migrations: readonly BundledMigration[], mode: SchemaMode) {
  const map = new Map<number, string>();
  for (const m of migrations) map.set(m.version, await sha256(m.sql[mode]));
  return map;
}

async function chooseMode(sql: Tx, options: MigrateOptions): Promise<SchemaMode> {
  if (options.timescale === "off") return "plain";
  const [installed] = await sql`select 1 as ok from pg_extension where extname = 'timescaledb'`;
  if (installed !== undefined) return "timescale";
  // Creating the extension when its library is not preloaded is FATAL (the connection dies),
  // so look first instead of trying.
  const [preload] = await sql`
    select exists (select 1 from pg_available_extensions where name = 'timescaledb') as available,
           current_setting('shared_preload_libraries') ~ 'timescaledb' as preloaded`;
  if (!preload?.available || !preload?.preloaded) {
    const reason = preload?.available
      ? "timescaledb is installed but not in shared_preload_libraries"
      : "timescaledb extension is not installed";
    return plainOrFail(reason, undefined, options);
  }
  try {
    await sql.savepoint((sp) => sp`create extension if not exists timescaledb with schema public`);
    return "timescale";
  } catch (err) {
    return plainOrFail(err instanceof Error ? err.message : String(err), err, options);
  }
}

function plainOrFail(reason: string, cause: unknown, options: MigrateOptions): "plain" {
  if (options.timescale === "require") {
    throw new MigrationError(
      `TimescaleDB is required (PMCOLLECT_TIMESCALE=require) but cannot be used: ${reason}`,
      { cause },
    );
  }
  options.log.info("timescaledb_unavailable", { mode: "plain", reason });
  return "plain";
}

/** Hex SHA-256 of a migration's text. */
export async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
