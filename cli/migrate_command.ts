/**
 * `pmcollect --migrate` / `pmcollect migrate [--status]`: apply the bundled migrations, or
 * print a table of applied and pending migrations with their checksums.
 *
 * @example
 * ```ts
 * import { runMigrateCommand } from "./migrate_command.ts";
 * const code = await runMigrateCommand(config, { log, signal, write, status: false });
 * ```
 */
import { openConfiguredDatabase } from "./_connect.ts";
import { migrate, migrationStatus } from "../db/migrate.ts";
import type { Config } from "../runtime/config.ts";
import type { Logger } from "../runtime/log.ts";

export interface CommandContext {
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** Writes one line of command output (stdout). */
  readonly write: (line: string) => void;
}

/**
 * Applies pending migrations (or lists them with `status`); returns the exit code.
 * @throws {MigrationError} for a changed or unknown migration (main.ts exits with 1).
 */
export async function runMigrateCommand(
  config: Config,
  context: CommandContext & { readonly status: boolean },
): Promise<number> {
  const { log, signal, write } = context;
  const db = await openConfiguredDatabase(config, {
    log,
    signal,
    poolSize: Math.min(config.database.poolSize, 2),
  });
  try {
    if (context.status) {
      const { mode, migrations } = await migrationStatus(db.sql);
      write(`mode: ${mode ?? "(not migrated yet)"}`);
      write(formatTable([
        ["version", "name", "state", "checksum", "applied_at"],
        ...migrations.map((m) => [
          String(m.version).padStart(4, "0"),
          m.name,
          m.state,
          m.checksum.slice(0, 12),
          m.appliedAt?.toISOString() ?? "-",
        ]),
      ]));
      return 0;
    }
    const { mode, applied } = await migrate(db.sql, { log, timescale: config.database.timescale });
    write(
      applied.length === 0
        ? `up to date (mode: ${mode})`
        : `applied ${applied.join(", ")} (mode: ${mode})`,
    );
    return 0;
  } finally {
    await db.close(5);
  }
}

/** Left-aligned columns separated by two spaces. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0))) ?? [];
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ").trimEnd())
    .join("\n");
}
