/**
 * Where the venue broker finds, after a restart, the orders an earlier process signed: the
 * ledger. The venue has no idempotency key and its order id is the EIP-712 hash of the signed
 * order, so the broker must know that hash to look an order up. It signs every order with the
 * salt derived from the client order id and, as the order's timestamp, the instant the ledger
 * recorded the intent (`intents.created_at`, read back to the millisecond); an order is
 * therefore rebuilt, hash and all, from its `intents` row alone, and an acknowledged one has
 * its hash in `orders.order_id` already.
 *
 * @example
 * ```ts ignore
 * const broker = new VenueBroker({ ...options, journal: ledgerJournal(ledger) });
 * ```
 */
import type { OrderRequest, OrderType, Side } from "./broker.ts";
import type { Ledger } from "./ledger.ts";

/** What the books hold about one client order id. */
export interface JournalEntry {
  readonly request: OrderRequest;
  /** Unix ms the intent was recorded: the signed order's timestamp. */
  readonly recordedAt: number;
  /** The order id the broker acknowledged, when the ledger has it. */
  readonly orderId: string | null;
}

/** The broker's view of the books. */
export interface OrderJournal {
  entry(clientOrderId: string): Promise<JournalEntry | null>;
}

/**
 * A journal over the ledger's `intents` and `orders` tables, and over the intents made durable
 * in the intent journal whose rows are not stored yet (execution/intent_journal.ts): the order
 * is signed at the instant its row will hold, so a restart rebuilds the same hash.
 */
export function ledgerJournal(ledger: Ledger): OrderJournal {
  return {
    async entry(clientOrderId) {
      const journaled = ledger.intents.journaled(clientOrderId);
      if (journaled !== null) {
        return { request: journaled.request, recordedAt: journaled.at, orderId: null };
      }
      const [row] = await ledger.sql<{
        token_id: string;
        side: Side;
        order_type: OrderType;
        price: string;
        size: string;
        post_only: boolean;
        expiration: string | null;
        created_at: Date;
        order_id: string | null;
      }[]>`
        select i.token_id, i.side, i.order_type, i.price::text, i.size::text, i.post_only,
          i.expiration::text, i.created_at, o.order_id
        from intents i left join orders o using (client_order_id)
        where i.client_order_id = ${clientOrderId}`;
      if (row === undefined) return null;
      return {
        request: {
          clientOrderId,
          tokenId: row.token_id,
          side: row.side,
          orderType: row.order_type,
          price: row.price,
          size: row.size,
          postOnly: row.post_only,
          expiration: row.expiration === null ? null : Number(row.expiration),
        },
        recordedAt: row.created_at.getTime(),
        orderId: row.order_id,
      };
    },
  };
}
