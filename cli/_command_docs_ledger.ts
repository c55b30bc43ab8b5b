/**
 * The help pages of the ledger's commands: orders, positions, resume (cli/ledger_command.ts;
 * see `_command_docs.ts` for the shape).
 *
 * @example
 * ```ts
 * import { LEDGER_DOCS } from "./_command_docs_ledger.ts";
 * LEDGER_DOCS.positions.options.json.text;
 * ```
 */
import type { CommandDoc } from "./_command_docs.ts";

/** orders, positions, resume. */
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
    summary: "let new orders through again after a reconciliation difference halted them",
    usage: ["resume [--by NAME]"],
    about: "A difference between the ledger and the broker (positions, open orders) is stored " +
      "in `reconciliations` and halts trading: every new order is refused. Once a person has " +
      "looked, resume clears the halt and marks the stored differences as looked at by NAME.",
    options: {
      by: { value: "NAME", text: "who looked", default: "cli" },
    },
    examples: [
      "pmcollect resume --by alice",
      "pmcollect resume --database-url postgres://pm@127.0.0.1/polymarket",
    ],
    exits: "0 resumed, 1 trading was not halted (or another failure), 2 bad usage",
    database: true,
  },
} satisfies Record<string, CommandDoc>;
