import assert from "node:assert/strict";
import { listEpisodes } from "../db/episodes.ts";
import { migrate } from "../db/migrate.ts";
import { silentLogger } from "../runtime/log.ts";
import { EpisodeWriter } from "../scanner/_writer.ts";
import { RelationSet } from "../scanner/relation_set.ts";
import { Scanner } from "../scanner/scanner.ts";
import { plantScenario } from "../simulator/plant.ts";
import { BACKENDS, withDatabase } from "./_db.ts";

const log = silentLogger();

for (const backend of BACKENDS) {
  Deno.test(`planted episodes are written to episodes and summed in episodes_daily on ${backend}`, () =>
    withDatabase(backend, async (db) => {
      await migrate(db.sql, { log, timescale: "auto" });
      const scenario = plantScenario({ seed: 11, durationsMs: [1500] });
      const controller = new AbortController();
      let latencies = 0;
      const writer = new EpisodeWriter(db.sql, {
        now: Date.now,
        log,
        committed: (opened) => void (latencies += opened.length),
      });
      const done = writer.run(controller.signal);
      const scanner = new Scanner(new RelationSet(scenario.relations), {
        maxBookAgeMs: 5000,
        maxSkewMs: 5000,
        onEpisode: (episode, phase) => writer.offer(episode, phase),
      });
      for (const event of scenario.events) scanner.push(event);
      scanner.finish(scenario.events.at(-1)!.receivedAt + 1);
      await writer.drained();
      controller.abort();
      await done;
      const expected = scenario.truth.filter((t) => t.expected);
      const rows = await listEpisodes(db.sql, {
        since: new Date(scenario.events[0]!.receivedAt),
        until: new Date(scenario.events.at(-1)!.receivedAt + 1),
      });
      assert.equal(rows.length, expected.length);
      assert.equal(latencies, expected.length);
      for (const truth of expected) {
        const row = rows.find((r) =>
          r.relationKey === truth.relationKey && r.startedAt.getTime() === truth.startAt
        );
        assert.ok(row, truth.relationKey);
        assert.equal(row.channel, truth.channel);
        assert.equal(row.endedAt?.getTime(), truth.endAt);
        assert.equal(Number(row.peakProfit), Number(truth.profit));
        assert.equal(Number(row.survival1sProfit), Number(truth.profit));
        assert.equal(row.final, true);
        assert.equal(row.replayed, false);
        assert.ok(Array.isArray(row.legs) && row.legs.length >= 2);
      }
      const daily = await db.sql<{ channel: string; episodes: string; profit: string }[]>`
        select channel, sum(episodes)::text as episodes, sum(profit)::text as profit
        from episodes_daily group by channel order by channel`;
      assert.deepEqual(
        daily.map((d) => [d.channel, Number(d.episodes)]),
        [["implication", 1], ["neg_risk_basket", 1], ["neg_risk_conversion", 1]],
      );
    }));
}
