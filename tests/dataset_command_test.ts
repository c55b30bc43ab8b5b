/**
 * `pmcollect dataset` end to end on a real PostgreSQL: it writes DIR/dataset.parquet holding the
 * rows buildDataset() gives (unknown features as NULL) and says what it left out; bad options
 * exit 2 before anything is read.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { withDatabase } from "./_db.ts";
import { seedDataset } from "./_dataset_seed.ts";
import { parseDatasetArgs, progressLog, runDatasetCommand } from "../cli/dataset_command.ts";
import { UsageError } from "../cli/command_line.ts";
import { buildDataset, parseHorizons } from "../models/dataset.ts";
import { loadConfig } from "../runtime/config.ts";
import { createLogger, silentLogger } from "../runtime/log.ts";
import { openDuckDb } from "../export/_duckdb.ts";

Deno.test("pmcollect dataset writes the rows as Parquet and a summary of what it left out", async () => {
  await withDatabase("server", async (db) => {
    await seedDataset(db.sql, { markets: 10, historyDays: 8, spreadDays: 2 });
    const out = await Deno.makeTempDir({ prefix: "dataset_command_" });
    try {
      const lines: string[] = [];
      const code = await runDatasetCommand(loadConfig({ DATABASE_URL: db.url! }), {
        log: silentLogger(),
        signal: new AbortController().signal,
        write: (line: string) => lines.push(line),
        args: ["--horizons", "1h,24h", "--out", out],
      });
      assert.equal(code, 0);
      assert.equal(lines.length, 1);
      assert.match(lines[0]!, /^dataset: 18 rows from 9 resolved binary markets × 2 horizons/);
      assert.match(lines[0]!, /left out: 1 markets voided or 50-50, 0 not binary/);
      const expected = (await buildDataset(db.sql, { horizons: parseHorizons("1h,24h") })).rows;
      const duck = await openDuckDb();
      try {
        const file = join(out, "dataset.parquet").replaceAll("'", "''");
        const rows = await duck.rows(
          `select market_id, horizon, epoch_ms(instant)::double as instant, price, label,
             momentum1h, spread from read_parquet('${file}') order by market_id, horizon`,
        );
        assert.equal(rows.length, expected.length);
        const first = expected.toSorted((a, b) =>
          a.marketId.localeCompare(b.marketId) || a.horizon.localeCompare(b.horizon)
        )[0]!;
        assert.deepEqual(rows[0], {
          market_id: first.marketId,
          horizon: first.horizon,
          instant: first.instant,
          price: first.price,
          label: first.label,
          momentum1h: first.features.momentum1h,
          // Market 0 has no bid and ask in its snapshots: the spread is unknown, NULL.
          spread: null,
        });
      } finally {
        duck.close();
      }
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  });
});

Deno.test("parseDatasetArgs() refuses missing and malformed options", () => {
  assert.throws(() => parseDatasetArgs(["--out", "/tmp/x"]), /--horizons is required/);
  assert.throws(
    () => parseDatasetArgs(["--horizons", "1h,2x", "--out", "/tmp/x"]),
    /--horizons: Not a horizon: "2x"/,
  );
  assert.throws(() => parseDatasetArgs(["--horizons", "1h"]), /--out DIR is required/);
  assert.throws(
    () =>
      parseDatasetArgs([
        "--horizons",
        "1h",
        "--out",
        "d",
        "--since",
        "2026-12-02",
        "--until",
        "2026-12-01",
      ]),
    UsageError,
  );
  const ok = parseDatasetArgs(["--horizons", "24h", "--out", "d", "--from-export", "/srv/p"]);
  assert.deepEqual([ok.horizons.map((h) => h.label), ok.fromExport], [["24h"], "/srv/p"]);
});

Deno.test("progressLog() logs at most every interval, with the rate and the time left", () => {
  const lines: string[] = [];
  let t = 1_000;
  const log = createLogger({}, { write: (line) => lines.push(line), now: () => 0 });
  const report = progressLog(log, { everyMs: 5_000, now: () => t });
  t = 3_000;
  report({ built: 1_000, total: 10_000 }); // 2 s in: too soon
  assert.equal(lines.length, 0);
  t = 6_000;
  report({ built: 2_500, total: 10_000 }); // 5 s in: 500/s, 7,500 left
  t = 8_000;
  report({ built: 3_000, total: 10_000 }); // 2 s after the last line
  assert.equal(lines.length, 1);
  const line = JSON.parse(lines[0]!);
  assert.equal(line.event, "dataset_progress");
  assert.deepEqual(
    [line.built, line.total, line.perSecond, line.etaS],
    [2_500, 10_000, 500, 15],
  );
  t = 11_000;
  report({ built: 5_000, total: 10_000 });
  assert.equal(lines.length, 2);
  assert.equal(JSON.parse(lines[1]!).etaS, 10);
});
