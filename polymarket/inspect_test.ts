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

Deno.test("runInspect() parses every recorded fixture with exit code 0", async () => {
  let files = 0;
  for await (const url of jsonFiles(ROOT)) {
    const { code, lines } = inspect(await Deno.readTextFile(url));
    assert.equal(code, 0, `${url.pathname}: ${JSON.stringify(lines.filter((l) => "reject" in l))}`);
    assert.ok(lines.length > 0, url.pathname);
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
