/**
 * The help page of `paper` (cli/paper_command.ts; see `_command_docs.ts` for the shape).
 *
 * @example
 * ```ts
 * import { PAPER_DOCS } from "./_command_docs_paper.ts";
 * PAPER_DOCS.paper.usage[0];
 * ```
 */
import type { CommandDoc } from "./_command_docs.ts";

export const PAPER_DOCS = {
  paper: {
    summary: "paper trading over the recorded stream: scanner, playbooks, paper broker, P&L",
    usage: ["paper --since ISO --until ISO [--events IDS] [--latency-ms N] [--cash X]"],
    about:
      "Replays the recorded stream (book_events, both tokens of every relation's market, from " +
      "the start of the record so every book is built before --since) through the live scanner; " +
      "each episode that opens in [--since, --until) goes to the executor, whose playbooks send " +
      "orders through the risk engine (PMCOLLECT_RISK_* limits) and the ledger to the paper " +
      "broker, which fills them on the recorded books --latency-ms after they are sent " +
      "(docs/execution.md, Playbooks, Paper trading, Fill model). The run's orders, fills, " +
      "positions, cash and conversions are written to a new schema, paper_<date>_<time>_<id>, " +
      "named on the first line of the output; then one line per episode and one per channel. " +
      "Needs a PostgreSQL server (DATABASE_URL), not the embedded database.",
    options: {
      since: { value: "ISO", text: "start of the interval (required)" },
      until: { value: "ISO", text: "end of the interval, after --since (required)" },
      events: {
        value: "IDS",
        text: "only relations with a member in these Gamma events",
        default: "every relation",
      },
      "latency-ms": {
        value: "N",
        text: "ms from sending an order to it meeting the book",
        default: "100",
      },
      cash: { value: "X", text: "starting collateral of the paper account", default: "10000" },
    },
    examples: [
      "pmcollect paper --since 2026-11-30T00:00:00Z --until 2026-12-01T00:00:00Z",
      "pmcollect paper --since 2026-11-30T10:00:00Z --until 2026-11-30T11:00:00Z --events 903193 --latency-ms 250",
    ],
    exits: "0 success, 1 on the embedded database (or another failure), 2 bad usage",
    database: true,
  },
} satisfies Record<string, CommandDoc>;
