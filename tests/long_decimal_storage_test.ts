/**
 * The venue's long decimals are stored exactly (issue 25): a 2021 Gamma event whose
 * `outcomePrices` carry 40 fraction digits goes through the edge (`parseGammaEventsPage`), the
 * price collector's rows (`appendPriceRows`) and both writers (`insertPriceSnapshots`, unnest and
 * COPY), and `price_snapshots` gives back the same text. Such a value does not fit the compact
 * millionths and is kept verbatim in `exact` (docs/schema.md).
 */
import assert from "node:assert/strict";
import { BACKENDS, serverTimescale, withDatabase } from "./_db.ts";
import { migrate } from "../db/migrate.ts";
import { insertPriceSnapshots, type PriceSnapshotRow } from "../db/prices.ts";
import { appendPriceRows } from "../collectors/prices.ts";
import { parseGammaEventsPage } from "../polymarket/gamma_event_schema.ts";
import { silentLogger } from "../runtime/log.ts";

const FIXTURE = new URL(
  "./fixtures/polymarket/gamma/events_legacy_40_digit_prices_2021_edited.json",
  import.meta.url,
);

for (const backend of BACKENDS) {
  Deno.test(`a 2021 event's 40-digit outcomePrices are stored exactly (${backend})`, async () => {
    const page = parseGammaEventsPage(
      JSON.parse(await Deno.readTextFile(FIXTURE)),
      new Date(0),
    );
    assert.deepEqual(page.rejects, []);
    const market = page.items[0]!.markets[0]!;
    const sent = market.outcomePrices;
    assert.ok(sent.every((p) => p.length === 42), JSON.stringify(sent));
    await withDatabase(backend, async (db) => {
      await migrate(db.sql, { log: silentLogger(), timescale: serverTimescale(db) });
      // COPY goes over a socket only the server backend has.
      const methods = db.url === undefined ? ["unnest"] as const : ["unnest", "copy"] as const;
      for (const [i, method] of methods.entries()) {
        const rows: PriceSnapshotRow[] = [];
        appendPriceRows(rows, market, new Date(Date.UTC(2021, 0, 2, 21, i)));
        assert.equal(await insertPriceSnapshots(db.sql, rows, { method }), 2);
      }
      const stored = await db.sql<{ price: string }[]>`
        select price::text as price from price_snapshots order by ts, token_id`;
      const tokens = [...market.clobTokenIds].sort();
      const expected = tokens.map((t) => sent[market.clobTokenIds.indexOf(t)]!);
      assert.deepEqual(stored.map((r) => r.price), methods.flatMap(() => expected));
    });
  });
}
