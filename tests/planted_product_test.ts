/**
 * The planted scenario through the product, as a user runs it (README, "simulate --plant"):
 * the planted venue on a loopback port (taker fees 0.02, the adapter's 10 bips, a 0.001 tick on
 * the implication pair, 12.37 shares on every planted level); `main.ts run` with the markets
 * collector only, to read the catalog; `main.ts relations`, which must derive the planted
 * structures by itself (two complete partitions and a stale-leg group confirmed, the incomplete
 * decoy incomplete, the pair a confirmed date ladder); `main.ts run` with the markets collector,
 * the websocket listener and the scanner while the scenario plays; then the `episodes` table
 * against `/truth` (same relations and channels, profit exact to the 1e-8, nothing on a decoy),
 * `main.ts report` counting them, and `main.ts backtest` over the recorded stream of the same
 * interval giving the same episodes.
 */
import assert from "node:assert/strict";
import { fileURLToPath as fromFileUrl } from "node:url";
import { formatDec, parseDec } from "../edge/decimal.ts";
import { type EpisodeRow, listEpisodes } from "../db/episodes.ts";
import { plantScenario } from "../simulator/plant.ts";
import { servePlantedScenario } from "../simulator/plant_server.ts";
import { createTestDatabase } from "./_db.ts";
import { FAST_SETTINGS, freePort, spawnDaemon, stopCleanly, until } from "./_e2e_harness.ts";
import { testWithin } from "./_time_limit.ts";

const test = testWithin(60_000);
const MAIN = fromFileUrl(new URL("../main.ts", import.meta.url));
const CONFIG = fromFileUrl(new URL("../deno.json", import.meta.url));
const MAX_AGE_MS = 3000;

/** What `/truth` serves. */
interface ServedTruth {
  startedAt: number | null;
  convertFeeBips: number | null;
  truth: {
    relationKey: string;
    plantKey: string;
    channel: string;
    profit: string;
    depth: string;
    expected: boolean;
    startAt: number;
    endAt: number;
    playedStartAt?: number;
    playedEndAt?: number;
  }[];
}

/** `main.ts ARGS` to completion; its exit code and output. */
async function pmcollect(args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", "--config", CONFIG, MAIN, ...args],
    env,
    stdin: "null",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

const episodeKey = (r: EpisodeRow) =>
  [r.relationKey, r.channel, formatDec(parseDec(r.peakProfit)), formatDec(parseDec(r.peakShares))]
    .join(" ");

test("simulate --plant through run, relations and backtest: the episodes are the truth, fees and all", async () => {
  const scenario = plantScenario({
    seed: 5,
    depth: "12.37",
    feeRateBp: 200,
    convertFeeBips: 10,
    pairTick: "0.001",
    durationsMs: [800],
    quietMs: 600,
    maxBookAgeMs: MAX_AGE_MS,
  });
  const server = servePlantedScenario(scenario, { delayMs: 3000, playOn: "subscribe" });
  const db = await createTestDatabase("server");
  const dataDir = await Deno.makeTempDir({ prefix: "pmcollect_planted_" });
  const env: Record<string, string> = {
    NO_COLOR: "1",
    DATABASE_URL: db.url!,
    PMCOLLECT_DATA_DIR: dataDir,
    PMCOLLECT_GAMMA_URL: server.httpUrl,
    PMCOLLECT_CLOB_URL: server.httpUrl,
    PMCOLLECT_DATA_API_URL: server.httpUrl,
    PMCOLLECT_WS_MARKET_URL: server.url,
    ...FAST_SETTINGS,
    PMCOLLECT_MARKETS_INTERVAL_S: "3600",
  };
  let daemon: ReturnType<typeof spawnDaemon> | null = null;
  try {
    // 1. The catalog: one markets cycle.
    daemon = spawnDaemon({
      ...env,
      PMCOLLECT_COLLECTORS: "markets",
      PMCOLLECT_HEALTH_PORT: String(freePort()),
    });
    await daemon.waitFor((e) => e.event === "cycle_done" && e.task === "markets", 20_000);
    await stopCleanly(daemon);
    daemon = null;

    // 2. The relations the product derives: the planted structures, the decoy left incomplete.
    const listed = await pmcollect(["relations", "--json"], env);
    assert.equal(listed.code, 0, listed.stderr);
    const relations = new Map(
      (JSON.parse(listed.stdout) as { key: string; status: string; members: string[] }[])
        .map((r) => [r.key, r]),
    );
    const served = async () => (await (await fetch(server.truthUrl)).json()) as ServedTruth;
    const before = await served();
    assert.equal(before.startedAt, null, "nothing plays before the listener subscribes");
    const keyOf = (plantKey: string) => before.truth.find((t) => t.plantKey === plantKey)!;
    const statusOf = (plantKey: string) => relations.get(keyOf(plantKey).relationKey)?.status;
    assert.equal(statusOf("group-basket"), "confirmed");
    assert.equal(statusOf("group-conversion"), "confirmed");
    assert.equal(statusOf("group-stale"), "confirmed");
    assert.equal(statusOf("group-incomplete"), "incomplete");
    const ladder = keyOf("pair-implication").relationKey; // ladder_date:<event>:<A>=><B>
    const [chainKey, pair] = [ladder.slice(0, ladder.lastIndexOf(":")), ladder.split(":").at(-1)!];
    assert.equal(relations.get(chainKey)?.status, "confirmed");
    assert.deepEqual(relations.get(chainKey)?.members, pair.split("=>"));
    assert.equal(before.convertFeeBips, 10);

    // 3. The live run: the listener subscribes, the scenario plays, the scanner writes.
    daemon = spawnDaemon({
      ...env,
      PMCOLLECT_COLLECTORS: "markets,trades",
      PMCOLLECT_SCANNER: "on",
      PMCOLLECT_SCANNER_CONVERT_FEE_BIPS: String(before.convertFeeBips),
      PMCOLLECT_SCANNER_MAX_BOOK_AGE_MS: String(MAX_AGE_MS),
      PMCOLLECT_SCANNER_MAX_SKEW_MS: String(MAX_AGE_MS),
      PMCOLLECT_WS_TOKENS_PER_CONNECTION: "1",
      PMCOLLECT_STREAM_RECORD: "on",
      PMCOLLECT_HEALTH_PORT: String(freePort()),
    });
    await daemon.waitFor((e) => e.event === "scanner_started", 20_000);
    await server.played;
    const truth = await served();
    const expected = truth.truth.filter((t) => t.expected);
    const since = new Date(truth.startedAt!);
    const till = new Date(Math.max(...truth.truth.map((t) => t.playedEndAt!)) + 5_000);
    const live = () => listEpisodes(db.sql, { since, until: till, replayed: false });
    await until(async () => {
      const rows = await live();
      return rows.length >= expected.length && rows.every((r) => r.final);
    }, 8_000).catch(() => {});
    await stopCleanly(daemon);
    daemon = null;

    // 4. The episodes are the truth: relation, channel, exact profit and size; none on a decoy.
    const rows = await live();
    assert.deepEqual(
      rows.map(episodeKey).sort(),
      expected.map((t) => `${t.relationKey} ${t.channel} ${t.profit} ${t.depth}`).sort(),
    );
    const decoys = truth.truth.filter((t) => !t.expected).map((t) => t.relationKey);
    assert.ok(decoys.length >= 2 && rows.every((r) => !decoys.includes(r.relationKey)));
    for (const t of expected) {
      const row = rows.find((r) => r.relationKey === t.relationKey && r.channel === t.channel)!;
      // Played in real time: detected within 300 ms of the plant, for its duration ± 300 ms.
      const late = row.startedAt.getTime() - t.playedStartAt!;
      assert.ok(late >= 0 && late < 300, `${t.channel} detected ${late} ms after the plant`);
      const lasted = row.endedAt!.getTime() - row.startedAt.getTime();
      assert.ok(Math.abs(lasted - (t.endAt - t.startAt)) < 300, `${t.channel} lasted ${lasted}`);
    }

    // 5. The backtest over the recorded stream of the same interval: the same episodes.
    const backtest = await pmcollect([
      "backtest",
      "--since",
      since.toISOString(),
      "--until",
      till.toISOString(),
    ], { ...env, PMCOLLECT_SCANNER_CONVERT_FEE_BIPS: String(before.convertFeeBips) });
    assert.equal(backtest.code, 0, backtest.stderr);
    // `report` over the day an episode started counts it: one live episode per planted channel
    // (a run across midnight UTC has its episodes on two days' reports).
    const dayOf = (r: EpisodeRow) => r.startedAt.toISOString().slice(0, 10);
    for (const day of new Set(rows.map(dayOf))) {
      const report = await pmcollect(["report", "--day", day], env);
      assert.equal(report.code, 0, report.stderr);
      for (const row of rows.filter((r) => dayOf(r) === day)) {
        assert.match(report.stdout, new RegExp(`${row.channel}\\s+1\\s`), day);
      }
    }
    const replayed = await listEpisodes(db.sql, { since, until: till, replayed: true });
    assert.deepEqual(replayed.map(episodeKey).sort(), rows.map(episodeKey).sort());
    for (const r of replayed) {
      const twin = rows.find((l) => l.relationKey === r.relationKey && l.channel === r.channel)!;
      // A plant's legs sit on separate connections, so their changes arrive milliseconds
      // apart; a live pass may take several together where the replay takes each instant
      // (docs/scanner.md, "Proof through the product"). Everything else is exact.
      for (const at of ["startedAt", "endedAt"] as const) {
        const gap = Math.abs(r[at]!.getTime() - twin[at]!.getTime());
        assert.ok(gap <= 50, `${r.channel} ${at}: replay ${gap} ms from live`);
      }
    }
  } finally {
    await daemon?.stop("SIGTERM");
    await server.close();
    await db.dispose();
    await Deno.remove(dataDir, { recursive: true });
  }
});
