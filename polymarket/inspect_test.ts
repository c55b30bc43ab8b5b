import assert from "node:assert/strict";
import { runInspect } from "./inspect.ts";

const ROOT = new URL("../tests/fixtures/polymarket/", import.meta.url);

async function* jsonFiles(dir: URL): AsyncGenerator<URL> {
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory) yield* jsonFiles(new URL(`${e.name}/`, dir));
    else if (e.name.endsWith(".json")) yield new URL(e.name, dir);
  }
}

function inspect(text: string): { code: number; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const code = runInspect(text, { write: (l) => lines.push(JSON.parse(l)), receivedAt: 1 });
  return { code, lines };
}

/** Fixtures of shapes `inspect` does not parse: it must say so, not guess a kind. */
const UNRECOGNISED = new Set(["live_activity_market_shape_only.json"]);
/** Fixtures of documented empty results: recognised, no rows. */
const EMPTY = new Set(["v2_empty_data_null_docs.json"]);

Deno.test("runInspect() parses every recorded fixture with exit code 0", async () => {
  let files = 0;
  for await (const url of jsonFiles(ROOT)) {
    const name = url.pathname.split("/").at(-1)!;
    if (UNRECOGNISED.has(name)) continue;
    const { code, lines } = inspect(await Deno.readTextFile(url));
    assert.equal(code, 0, `${url.pathname}: ${JSON.stringify(lines.filter((l) => "reject" in l))}`);
    assert.ok(lines.length > 0 || EMPTY.has(name), url.pathname);
    files++;
  }
  assert.ok(files >= 40, `only ${files} fixtures found`);
});

Deno.test("runInspect() reads NDJSON frames and PONG lines", async () => {
  const trade = JSON.stringify(
    JSON.parse(await Deno.readTextFile(new URL("ws-market/last_trade_price_2024-08.json", ROOT))),
  );
  const { code, lines } = inspect(`${trade}\nPONG\n[]\n${trade}\n`);
  assert.equal(code, 0);
  assert.deepEqual(lines.map((l) => l.kind), ["ws_frame", "pong", "ws_frame"]);
});

Deno.test("runInspect() exits 1 and prints path and reason when something is rejected", () => {
  const { code, lines } = inspect('[{"event_type":"mystery"}]');
  assert.equal(code, 1);
  assert.equal(lines[0]!.reject, "frame[0]");
  assert.equal(lines[0]!.reason, "unknown event_type mystery");
});

Deno.test("runInspect() exits 2 on unreadable or undetectable input", () => {
  assert.equal(inspect("").code, 2);
  assert.equal(inspect("not json at all").code, 2);
  assert.equal(inspect('{"hello":"world"}').code, 2);
});

async function inspectFixture(path: string) {
  return inspect(await Deno.readTextFile(new URL(path, ROOT)));
}

Deno.test("runInspect() recognises the last keyset page, which has no next_cursor", async () => {
  const { code, lines } = await inspectFixture("gamma/markets_keyset_last_page_edited.json");
  assert.equal(code, 0);
  assert.deepEqual(lines.map((l) => l.kind), ["gamma_markets_page"]);
});

Deno.test("runInspect() calls a /markets/live-activity body unrecognised, not a Gamma market", async () => {
  const { code, lines } = await inspectFixture("clob/live_activity_market_shape_only.json");
  assert.equal(code, 2);
  assert.deepEqual(lines, [{ reject: "$", reason: "unrecognised payload kind" }]);
});

Deno.test("runInspect() reads a v2 page with data: null as empty, and skips non-trade activity", async () => {
  const empty = await inspectFixture("data-api/v2_empty_data_null_docs.json");
  assert.equal(empty.code, 0);
  assert.deepEqual(empty.lines, []);
  const activity = await inspectFixture("data-api/v2_activity_non_trade_rows_edited.json");
  assert.equal(activity.code, 0);
  assert.deepEqual(activity.lines.map((l) => l.kind), Array(3).fill("data_activity_v2"));
  assert.deepEqual(activity.lines[2], { kind: "data_activity_v2", skipped: 3 });
});

Deno.test("runInspect() recognises keyset pages whose envelope carries extra keys such as $schema", async () => {
  const markets = await inspectFixture("gamma/markets_keyset_page_schema_key_edited.json");
  assert.equal(markets.code, 0);
  assert.deepEqual(markets.lines.map((l) => l.kind), ["gamma_markets_page"]);
  // The last events page: `$schema`, no next_cursor.
  const events = JSON.parse(
    await Deno.readTextFile(new URL("gamma/events_negrisk_dem_nominee_2028.json", ROOT)),
  );
  const page = inspect(JSON.stringify({ $schema: "https://example.invalid/s.json", events }));
  assert.equal(page.code, 0);
  assert.deepEqual(page.lines.map((l) => l.kind), ["gamma_events_page"]);
});

Deno.test("runInspect() still calls one Gamma event holding its markets an event, not a page", async () => {
  const [event] = JSON.parse(
    await Deno.readTextFile(new URL("gamma/events_negrisk_dem_nominee_2028.json", ROOT)),
  );
  const { code, lines } = inspect(JSON.stringify({ ...event, $schema: "x" }));
  assert.equal(code, 0);
  assert.deepEqual(lines.map((l) => l.kind), ["gamma_event"]);
});
