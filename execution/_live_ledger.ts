/**
 * The ledger live paper and live trading write through (execution/live_paper.ts,
 * execution/live_venue.ts): intents made durable in the data directory's journal, halted by the
 * risk engine's mode (`PMCOLLECT_INTENT_JOURNAL=on`, the default; execution/intent_journal.ts),
 * or by the database's commit on a connection of their own where the pool has one to spare.
 *
 * @example
 * ```ts ignore
 * import { liveLedger } from "./_live_ledger.ts";
 * const engine: { risk: RiskEngine | null } = { risk: null };
 * const ledger = liveLedger({ sql, log, config }, () => engine.risk);
 * ```
 */
import { join } from "node:path";
import type { Sql } from "../db/client.ts";
import type { Config } from "../runtime/config.ts";
import type { Logger } from "../runtime/log.ts";
import { INTENT_JOURNAL_FILE } from "./intent_journal.ts";
import { createLedger, type Ledger } from "./ledger.ts";
import type { RiskEngine } from "./risk.ts";

/** Why no order may go: halted, or no risk engine yet (`risk()` null: not trading yet). */
export function haltedBy(risk: () => RiskEngine | null): () => string | null {
  return () => {
    const engine = risk();
    if (engine === null) return "the risk engine is not started";
    return engine.mode === "halted" ? engine.modeReason ?? "no reason given" : null;
  };
}

/** The live paths' ledger (module header); `intents.close()` when the executor task ends. */
export function liveLedger(
  deps: { readonly sql: Sql; readonly log: Logger; readonly config: Config },
  risk: () => RiskEngine | null,
): Ledger {
  const { sql, log, config } = deps;
  return config.executor.intentJournal
    ? createLedger(sql, {
      log,
      journal: { path: join(config.dataDir, INTENT_JOURNAL_FILE), halted: haltedBy(risk) },
    })
    // Intents on a connection of their own where the pool has one to spare: an intent then
    // never waits behind fills being booked or the collector's writers.
    : createLedger(sql, { log, dedicatedIntents: (sql.options?.max ?? 1) >= 2 });
}
