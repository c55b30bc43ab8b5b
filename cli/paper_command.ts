/**
 * `pmcollect paper --since ISO --until ISO [--events IDS] [--latency-ms N] [--cash X]`: the
 * scanner, the executor and the paper broker over the recorded stream (execution/paper.ts),
 * with every order through the risk engine under the configured limits. Each run writes its
 * ledger (intents, orders, order events, fills, positions, cash, conversions) into a schema of
 * its own, `paper_<yyyymmdd>_<hhmmss>_<random>`, created and migrated for it, so a run is
 * audited with SQL (`set search_path to paper_…`) and never mixes with the live ledger or
 * another run. Forecasts a stored model made in the window (`forecasts` table) are traded too,
 * with the model-edge playbook (execution/model_trades.ts). Prints one line per episode handed
 * to the executor, then per channel; `pmcollect report --day D --schema <the run's schema>`
 * reports the run as the day report does.
 *
 * @example
 * ```sh
 * pmcollect paper --since 2026-11-30T00:00:00Z --until 2026-12-01T00:00:00Z --events 903193
 * ```
 */
import { parseDec } from "../edge/decimal.ts";
import { type Database, openDatabase } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { createLedger } from "../execution/ledger.ts";
import { paperReportText, runPaper } from "../execution/paper.ts";
import { RiskEngine, riskLimits } from "../execution/risk.ts";
import { listStoredForecasts, modelLimits } from "../execution/model_trades.ts";
import type { Config } from "../runtime/config.ts";
import { loadScanRelations } from "../scanner/_load.ts";
import { replayBookEvents } from "../stream/replay.ts";
import { openConfiguredDatabase } from "./_connect.ts";
import { parseInstant, requireOrder } from "./_instant.ts";
import { parseOrReport, parseOwnOptions } from "./_own_options.ts";
import { PAPER_OPTIONS, UsageError } from "./command_line.ts";
import type { CommandContext } from "./migrate_command.ts";

export interface PaperArgs {
  readonly since: Date;
  readonly until: Date;
  readonly events: readonly string[] | null;
  readonly latencyMs: number;
  readonly cash: string;
}

/** @throws {UsageError} */
export function parsePaperArgs(args: readonly string[]): PaperArgs {
  const { values } = parseOwnOptions(args, { options: PAPER_OPTIONS });
  if (values.since === undefined || values.until === undefined) {
    throw new UsageError("paper needs --since and --until");
  }
  const since = parseInstant("since", values.since);
  const until = parseInstant("until", values.until);
  requireOrder(since, until);
  const latency = values["latency-ms"] ?? "100";
  if (!/^\d{1,6}$/.test(latency)) {
    throw new UsageError(`--latency-ms must be a whole number of ms, got "${latency}"`);
  }
  const cash = values.cash ?? "10000";
  let positive = false;
  try {
    positive = parseDec(cash) > 0n;
  } catch { /* reported below */ }
  if (!positive) throw new UsageError(`--cash must be a positive decimal, got "${cash}"`);
  return {
    since,
    until,
    events: values.events === undefined ? null : values.events.split(",").map((s) => s.trim()),
    latencyMs: Number(latency),
    cash,
  };
}

/** A new schema name for one paper run. */
export function paperSchemaName(now: Date, random: () => number = Math.random): string {
  const stamp = now.toISOString().slice(0, 19).replace(/[-:]/g, "").replace("T", "_");
  return `paper_${stamp}_${Math.floor(random() * 36 ** 4).toString(36).padStart(4, "0")}`;
}

export async function runPaperCommand(
  config: Config,
  context: CommandContext & { readonly args: readonly string[] },
): Promise<number> {
  const { log, signal, write } = context;
  const args = parseOrReport("paper", parsePaperArgs, context.args);
  if (args === null) return 2;
  const db = await openConfiguredDatabase(config, { log, signal, poolSize: 2 });
  let paperDb: Database | null = null;
  try {
    let set = await loadScanRelations(db.sql, { convertFeeBips: config.scanner.convertFeeBips });
    if (args.events !== null) set = set.ofEvents(args.events);
    if (db.backend === "embedded" || config.database.url === undefined) {
      // The run's ledger needs connections of its own whose search_path puts its schema first;
      // the embedded database serves this process one session, which also reads the stream.
      write(
        "paper needs a PostgreSQL server (DATABASE_URL): the embedded database cannot hold " +
          "a run's ledger in a schema of its own beside the recorded stream",
      );
      return 1;
    }
    const schema = paperSchemaName(new Date());
    const [{ current }] = await db.sql<{ current: string }[]>`select current_schema() as current`;
    await db.sql.unsafe(`create schema ${schema}`);
    // The run's schema first: every table of the program is created there by the migrations, so
    // nothing of the live schema behind it is written.
    paperDb = await openDatabase({
      url: config.database.url,
      dataDir: config.dataDir,
      poolSize: 2,
      schema: `${schema}, ${current}`,
    }, { log, signal });
    const ledgerSql = paperDb.sql;
    await migrate(ledgerSql, { log, timescale: "off" });
    const tokenIds = set.relations.flatMap((r) =>
      r.markets.flatMap((m) => [m.yesTokenId, m.noTokenId])
    );
    const source = tokenIds.length === 0
      ? []
      : replayBookEvents(db.sql, { tokenIds, to: args.until, signal });
    // Forecasts a stored model made in the window are traded with the model-edge playbook.
    const forecasts = tokenIds.length === 0
      ? []
      : await listStoredForecasts(db.sql, { since: args.since, until: args.until, tokenIds });
    const started = performance.now();
    const run = await runPaper(source, set, {
      ledger: createLedger(ledgerSql, { log }),
      log,
      latencyMs: args.latencyMs,
      cash: args.cash,
      maxBookAgeMs: config.scanner.maxBookAgeMs,
      maxSkewMs: config.scanner.maxSkewMs,
      limits: {
        maxBookAgeMs: config.risk.maxBookAgeMs,
        minEdge: 0n,
      },
      risk: new RiskEngine(riskLimits(config.risk)),
      runId: schema,
      forecasts,
      model: modelLimits(config),
      since: args.since.getTime(),
      until: args.until.getTime(),
      signal,
    });
    log.info("paper_done", {
      schema,
      relations: set.relations.length,
      events: run.events,
      episodes: run.episodes,
      durationMs: Math.round(performance.now() - started),
    });
    for (const line of paperReportText(run, { schema })) write(line);
    return 0;
  } finally {
    await paperDb?.close();
    await db.close();
  }
}
