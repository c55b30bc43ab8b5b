/**
 * Live paper's model-edge playbook (`PMCOLLECT_EXECUTOR_MODEL=on`, execution/live_paper.ts): a
 * batch of forecasts as the forecasts task hands it over (`LivePaper.forecasts`) is traded by the
 * running executor task on the scanner's books, into the ledger of a real PostgreSQL schema, with a
 * `trade_outcomes` row per token. Hand computation (fee-free market, YES ask 0.60 × 100, bid 0.30):
 * YES at q 0.8 has EV 0.2; full Kelly (0.8 − 0.6)/(1 − 0.6) = 0.5, a quarter 0.125, capped at
 * 0.05 of the 1000 deposited: 50, so floor(50 / 0.6) = 83.33 shares for 49.998. NO at q 0.2 costs
 * 1 − 0.30 = 0.70: EV −0.5, declined. A batch of the market baseline is skipped whole. With the
 * setting off, the same batch sends nothing.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { migrate } from "../db/migrate.ts";
import { formatDec, parseDec } from "../edge/decimal.ts";
import { INTENT_JOURNAL_FILE } from "../execution/intent_journal.ts";
import { startLivePaper } from "../execution/live_paper.ts";
import type { ForecastsAt } from "../models/forecast_at.ts";
import { loadConfig } from "../runtime/config.ts";
import { silentLogger } from "../runtime/log.ts";
import { runSupervisor } from "../runtime/supervisor.ts";
import { createScannerFeed } from "../scanner/feed.ts";
import { RelationSet, type ScanRelation } from "../scanner/relation_set.ts";
import type { BookEvent } from "../stream/book_event.ts";
import { L2Books } from "../stream/l2_book.ts";
import { createTestDatabase } from "./_db.ts";
import { until } from "./_trades_harness.ts";

const log = silentLogger();
const RELATION: ScanRelation = {
  key: "g",
  kind: "group",
  complete: true,
  convertFeeBips: 0,
  markets: [{
    marketId: "m1",
    conditionId: "0x01",
    yesTokenId: "yes",
    noTokenId: "no",
    fee: { rate: "0", exponent: 1, takerOnly: true },
    tickSize: "0.01",
    minOrderSize: "5",
    endDate: null,
  }],
};

function book(receivedAt: number): BookEvent {
  return {
    kind: "book",
    tokenId: "yes",
    exchangeTs: receivedAt,
    receivedAt,
    connection: 1,
    sequence: 0,
    bids: [["0.30", "100"]],
    asks: [["0.60", "100"]],
    tickSize: "0.01",
  };
}

function forecasts(at: Date): ForecastsAt {
  const token = (tokenId: string, outcomeIndex: 0 | 1, probability: number) => ({
    marketId: "m1",
    tokenId,
    outcomeIndex,
    price: 0.45,
    probability,
    low: null,
    high: null,
    ask: null,
    askSource: "none" as const,
    evPerShare: null,
    kelly: null,
  });
  return {
    at,
    modelVersion: 1,
    markets: [{
      marketId: "m1",
      eventId: "e1",
      horizon: "24h",
      modelVersion: 1,
      domain: "other",
      tokens: [token("yes", 0, 0.8), token("no", 1, 0.2)],
      books: ["stream", "stream"],
    }],
    skipped: [],
  };
}

async function run(model: "on" | "off") {
  const db = await createTestDatabase("server");
  await migrate(db.sql, { log, timescale: "off" });
  const dataDir = await Deno.makeTempDir({ prefix: "pmcollect_live_model_" });
  const controller = new AbortController();
  try {
    const config = loadConfig({
      DATABASE_URL: db.url!,
      PMCOLLECT_DATA_DIR: dataDir,
      PMCOLLECT_EXECUTOR: "paper",
      PMCOLLECT_EXECUTOR_LATENCY_MS: "0",
      PMCOLLECT_EXECUTOR_CASH: "1000",
      PMCOLLECT_EXECUTOR_MODEL: model,
      PMCOLLECT_RISK_MAX_BOOK_AGE_MS: "60000",
      PMCOLLECT_SCANNER_MAX_BOOK_AGE_MS: "60000",
    });
    const feed = createScannerFeed();
    const paper = await startLivePaper({ config, sql: db.sql, log, feed }, controller.signal);
    const books = new L2Books();
    paper.tap.attached({ books, set: new RelationSet([RELATION]) });
    feed.attach(
      { watches: () => true, push: (e) => void books.apply(e), resubscribed: () => {} },
      [],
    );
    const supervisor = runSupervisor(paper.tasks, { signal: controller.signal, log });
    try {
      // The executor task runs (it reports once its taps are in place).
      await until(
        () =>
          Promise.resolve(
            supervisor.health().find((t) => t.name === "executor")?.report.lastSuccessAt !==
              undefined,
          ),
        5000,
      );
      // A frame for the scanner's books and the paper broker; the broker's share is applied on a
      // timer of 0 ms set when the frame arrives, so one set after it fires after it.
      feed.push([book(Date.now())]);
      await new Promise((resolve) => setTimeout(resolve, 0));
      assert.notEqual(books.book("yes"), null);
      // A baseline batch (no stored model) is skipped whole: nothing decided, nothing recorded.
      await paper.forecasts({ ...forecasts(new Date()), modelVersion: null });
      const baseline = await db.sql`select 1 from trade_outcomes`;
      assert.equal(baseline.length, 0);
      // The batch as the forecasts task hands it over; resolves once it is traded.
      await paper.forecasts(forecasts(new Date()));
      const outcomes = await db.sql<
        { subject: string; outcome: string; reason: string; capital: string }[]
      >`select subject, outcome, reason, capital::text from trade_outcomes order by subject`;
      const fills = await db.sql<{ token_id: string; size: string; price: string }[]>`
        select token_id, size::text, price::text from fills`;
      // Intents went through the data directory's journal (the default), which then empties.
      const intents = await db.sql<{ state: string }[]>`select state from intents`;
      const journal = Deno.readTextFileSync(join(dataDir, INTENT_JOURNAL_FILE));
      const report = supervisor.health().find((t) => t.name === "executor")?.report;
      return {
        outcomes,
        fills,
        cash: paper.broker.cash(),
        intents: intents.map((r) => r.state),
        journal,
        unstored: report?.intentsUnstored,
      };
    } finally {
      controller.abort();
      await supervisor.done;
    }
  } finally {
    await db.dispose();
    await Deno.remove(dataDir, { recursive: true });
  }
}

Deno.test("live paper with PMCOLLECT_EXECUTOR_MODEL=on buys a forecast's edge at the Kelly size and declines the other token", async () => {
  const { outcomes, fills, cash, intents, journal, unstored } = await run("on");
  assert.deepEqual(intents, ["acked"]);
  assert.equal(journal, "", "every journaled intent is stored");
  assert.equal(unstored, 0);
  assert.equal(outcomes.length, 2);
  const [no, yes] = outcomes;
  assert.equal(no!.subject, "no");
  assert.equal(no!.outcome, "declined");
  assert.match(no!.reason, /^EV -0\.5 a share at the best ask 0\.7 below the threshold 0\.03/);
  assert.equal(yes!.subject, "yes");
  assert.equal(yes!.outcome, "filled_whole", yes!.reason);
  assert.equal(formatDec(parseDec(yes!.capital)), "49.998");
  assert.equal(fills.length, 1);
  assert.equal(formatDec(parseDec(fills[0]!.size)), "83.33");
  assert.equal(formatDec(parseDec(fills[0]!.price)), "0.6");
  assert.equal(cash, "950.002");
});

Deno.test("live paper with PMCOLLECT_EXECUTOR_MODEL off sends nothing for forecasts", async () => {
  const { outcomes, fills, cash } = await run("off");
  assert.equal(outcomes.length, 0);
  assert.equal(fills.length, 0);
  assert.equal(cash, "1000");
});
