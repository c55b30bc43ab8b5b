/**
 * `pmcollect forecast` end to end on a real PostgreSQL seeded through the collectors' writers
 * (`_dataset_seed.ts`): an event's markets as a table that says it is the baseline, one market
 * as JSON with the values `forecastsAt` gives, and the exit codes of bad usage and of nothing
 * to forecast; `pmcollect status` shows the stored forecasts' live skill.
 */
import assert from "node:assert/strict";
import { withDatabase } from "./_db.ts";
import { SEED_END, seedDataset, seedMarket } from "./_dataset_seed.ts";
import { parseForecastArgs, runForecastCommand } from "../cli/forecast_command.ts";
import { UsageError } from "../cli/command_line.ts";
import { loadConfig } from "../runtime/config.ts";
import { silentLogger } from "../runtime/log.ts";
import { runStatusCommand } from "../cli/status_command.ts";
import { forecastsAt } from "../models/forecast_at.ts";
import { insertForecasts, scoreForecasts } from "../models/forecast_store.ts";

const AT = new Date(SEED_END - 4 * 86_400_000).toISOString();

function runner(url: string) {
  return async (args: string[]) => {
    const lines: string[] = [];
    const code = await runForecastCommand(loadConfig({ DATABASE_URL: url }), {
      log: silentLogger(),
      signal: new AbortController().signal,
      write: (line: string) => lines.push(line),
      args,
    });
    return { code, lines };
  };
}

Deno.test("pmcollect forecast prints an event's tokens, one market as JSON, and refuses bad usage", async () => {
  await withDatabase("server", async (db) => {
    await seedDataset(db.sql, { markets: 6, historyDays: 9, spreadDays: 3 });
    const run = runner(db.url!);
    // Markets 0..3 share the neg-risk event 0xgroup0.
    const event = await run(["--event", "0xgroup0", "--at", AT]);
    assert.equal(event.code, 0, event.lines.join("\n"));
    assert.match(event.lines[0]!, /no model stored: the market price is the probability/);
    const rows = event.lines.filter((l) => /^m\d/.test(l));
    assert.equal(rows.length, 8);
    for (let i = 0; i < 4; i++) {
      const m = seedMarket(i, 3);
      assert.ok(rows.some((r) => r.includes(m.yes) && /\bYES\b/.test(r)), `m${i} YES`);
      assert.ok(rows.some((r) => r.includes(m.no) && r.includes("mirror of YES")), `m${i} NO`);
    }

    const one = await run(["--market", "m4", "--at", AT, "--json"]);
    assert.equal(one.code, 0);
    const doc = JSON.parse(one.lines.join("\n"));
    assert.equal(doc.baseline, true);
    assert.equal(doc.model, null);
    assert.equal(doc.markets.length, 1);
    const [yes, no] = doc.markets[0].tokens;
    assert.equal(yes.tokenId, seedMarket(4, 3).yes);
    assert.equal(yes.probability, yes.price);
    assert.ok(Math.abs(yes.probability + no.probability - 1) < 1e-12);
    assert.equal(typeof yes.evPerShare, "number");

    const closed = await run(["--market", "m4", "--at", "2027-01-01T00:00:00Z"]);
    assert.equal(closed.code, 1);
    assert.match(closed.lines.join("\n"), /skipped m4: not tradable: resolved/);
    assert.equal((await run(["--event", "no-such-event"])).code, 1);
    assert.equal((await run(["--event", "1", "--market", "2"])).code, 2);
    assert.equal((await run([])).code, 2);
  });
});

Deno.test("parseForecastArgs() takes one of --event and --market, and a valid --at", () => {
  assert.deepEqual(parseForecastArgs(["--market", "7"]), {
    event: undefined,
    market: "7",
    at: undefined,
    json: false,
  });
  assert.throws(() => parseForecastArgs(["--market", "7", "--at", "yesterday"]), UsageError);
  assert.throws(() => parseForecastArgs(["--event", ""]), UsageError);
});

Deno.test("pmcollect status shows the forecasts scored so far against the market", async () => {
  await withDatabase("server", async (db) => {
    await seedDataset(db.sql, { markets: 6, historyDays: 9, spreadDays: 3 });
    const ids = ["m0", "m1", "m2", "m3", "m4", "m5"];
    await insertForecasts(
      db.sql,
      await forecastsAt(db.sql, ids, {
        at: new Date(AT),
        model: undefined,
        maxRestAgeMs: 6 * 3_600_000,
      }),
    );
    assert.equal(await scoreForecasts(db.sql), 12);
    const lines: string[] = [];
    const dir = await Deno.makeTempDir({ prefix: "forecast_status_" });
    try {
      const code = await runStatusCommand(
        loadConfig({ DATABASE_URL: db.url!, PMCOLLECT_DISK_PATH: dir, PMCOLLECT_HEALTH_PORT: "1" }),
        {
          log: silentLogger(),
          signal: new AbortController().signal,
          write: (l) => lines.push(...l.split("\n")),
        },
      );
      assert.equal(code, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    // The baseline's Brier is the market's: six scored YES rows, none left.
    assert.match(
      lines.find((l) => l.startsWith("forecasts: ")) ?? "",
      /^forecasts: 6 scored, Brier (0\.\d{4}) vs market \1 \(equal\); 0 rows awaiting resolution; task: /,
    );
  });
});
