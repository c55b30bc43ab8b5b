/**
 * The help pages of the ledger's commands: orders, positions, resume (cli/ledger_command.ts)
 * and kill (cli/kill_command.ts;
 * see `_command_docs.ts` for the shape).
 *
 * @example
 * ```ts
 * import { LEDGER_DOCS } from "./_command_docs_ledger.ts";
 * LEDGER_DOCS.positions.options.json.text;
 * ```
 */
import type { CommandDoc } from "./_command_docs.ts";

/** orders, positions, resume, kill. */
export const LEDGER_DOCS = {
  orders: {
    summary: "the ledger's open orders and intents of unknown outcome, with their fills",
    usage: ["orders [--all] [--json]"],
    about: "Lists what the ledger (docs/execution.md, Ledger) holds as open: LIVE orders and " +
      "intents recorded but not yet known to the broker (PENDING until the next start's " +
      "recovery looks them up), newest first, with the size matched, the fills booked and " +
      "their fees. --all lists every intent: matched, canceled, rejected and unsent ones too.",
    options: {
      all: { text: "every intent, not only the open ones" },
      json: { text: "one JSON array of orders (decimal strings)" },
    },
    examples: ["pmcollect orders", "pmcollect orders --all --json"],
    database: true,
  },
  positions: {
    summary: "what the ledger holds, with P&L at the current best bid",
    usage: ["positions [--json]"],
    about: "Prints each token the ledger has held: size, average-cost basis, the best bid it is " +
      "marked at and where that came from (stream: the recorded stream's latest book, as " +
      "`pmcollect book` rebuilds it; quote: the newest stored best bid/ask; none: unmarked), " +
      "unrealized (size × bid − basis), realized, fees and P&L (realized + unrealized − " +
      "fees), then the cash balance.",
    options: {
      json: { text: 'print {"positions": […], "cash": "…"} (decimal strings)' },
    },
    examples: ["pmcollect positions", "pmcollect positions --json"],
    database: true,
  },
  resume: {
    summary: "let new orders through again after a halt (kill switch, reconciliation, limit)",
    usage: ["resume [--by NAME] [--reason TEXT]"],
    about: "Trading is halted by the kill switch (`pmcollect kill`, POST /kill, a KILL file in " +
      "the data directory, or an automatic kill: a loss beyond the daily limit, stale data, a " +
      "broker that stops answering) or by a difference between the ledger and the broker, " +
      "stored in `reconciliations`; a breach of an exposure limit moves it to reducing (only " +
      "orders that reduce exposure). Either lasts across restarts. Once a person has looked, " +
      "resume makes trading active again, records who and why in `trading_state_changes`, and " +
      "marks the stored differences as looked at by NAME.",
    options: {
      by: { value: "NAME", text: "who looked", default: "cli" },
      reason: { value: "TEXT", text: "why trading may go on (kept with the change)" },
    },
    examples: [
      "pmcollect resume --by alice --reason reviewed",
      "pmcollect resume --database-url postgres://pm@127.0.0.1/polymarket",
    ],
    exits: "0 resumed, 1 trading was not halted (or another failure), 2 bad usage",
    database: true,
  },
  kill: {
    summary: "the kill switch: halt trading and cancel every open order",
    usage: ["kill [--reason TEXT] [--by NAME]"],
    about: "Stores a halt in the database (every new order is refused, in every process and " +
      "after restarts, until `pmcollect resume`), then asks the running process on the " +
      "health port (POST /kill) to cancel every open order at once. A trading process that " +
      "does not answer there sees the stored halt within 250 ms and cancels then. The same " +
      "switch: POST /kill on the health port, or a file named KILL in the data directory " +
      "(its text is the reason).",
    options: {
      reason: { value: "TEXT", text: "why", default: "pmcollect kill" },
      by: { value: "NAME", text: "who", default: "cli" },
    },
    examples: [
      "pmcollect kill --reason stale-books --by alice",
      "pmcollect kill --health-port 9465",
    ],
    exits: "0 halted, 1 failure (no database, old schema), 2 bad usage",
    database: true,
  },
} satisfies Record<string, CommandDoc>;
