import assert from "node:assert/strict";
import { SpillFiles } from "./_spill_file.ts";
import { spillFailureGaps } from "./_trade_queue.ts";

const trade = (i: number) => ({
  kind: "trade" as const,
  row: {
    ts: new Date(1000 + i),
    tokenId: "1",
    tradeKey: `k${i}#0`,
    conditionId: null,
    receivedAt: new Date(2000 + i),
    price: "0.5",
    size: "1",
    side: "BUY" as const,
    feeRateBps: null,
    txHash: null,
    source: "ws" as const,
  },
});

Deno.test("SpillFiles round-trips rows, skips a torn last line and removes the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const spill = new SpillFiles(dir);
    await spill.append([trade(0), trade(1), trade(2)]);
    await spill.rotate();
    const [file] = await spill.list();
    await Deno.writeTextFile(file.path, '{"kind":"trade","row":{"ts', { append: true });
    const seen: number[] = [];
    const rejected: string[] = [];
    const r = await spill.replay(file.path, {
      chunkRows: 2,
      accept: (items) => {
        for (const i of items) if (i.kind === "trade") seen.push(i.row.ts.getTime());
        return Promise.resolve();
      },
      reject: (_line, reason) => rejected.push(reason),
    });
    assert.deepEqual(seen, [1000, 1001, 1002]);
    assert.deepEqual(r, { rows: 3, skipped: 1 });
    assert.deepEqual(rejected, ["not JSON (torn or damaged line)"]);
    assert.deepEqual(await spill.list(), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SpillFiles keeps a file whose replay failed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const spill = new SpillFiles(dir);
    await spill.append([trade(0)]);
    await spill.close();
    const [file] = await spill.list();
    await assert.rejects(spill.replay(file.path, {
      chunkRows: 10,
      accept: () => Promise.reject(new Error("down")),
    }));
    assert.equal((await spill.list()).length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SpillFiles rejects hand-damaged lines and replays the good ones", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const spill = new SpillFiles(dir);
    await spill.append([trade(0), trade(1), trade(2)]);
    await spill.close();
    const [file] = await spill.list();
    const lines = (await Deno.readTextFile(file.path)).split("\n");
    lines[1] = lines[1]!.replace('"price":"0.5"', '"price":"abc"');
    lines.splice(
      2,
      0,
      '{"kind":"quote","row":{"ts":"2026-01-01T00:00:00Z","tokenId":"1",' +
        `"bestBid":"${"9".repeat(200_000)}","bestAsk":null}}`,
    );
    await Deno.writeTextFile(file.path, lines.join("\n"));
    const seen: number[] = [];
    const rejected: string[] = [];
    const r = await spill.replay(file.path, {
      chunkRows: 10,
      accept: (items) => {
        for (const i of items) if (i.kind === "trade") seen.push(i.row.ts.getTime());
        return Promise.resolve();
      },
      reject: (_line, reason) => rejected.push(reason),
    });
    assert.deepEqual(seen, [1000, 1002]);
    assert.deepEqual(rejected, ["trade.price: invalid value", "quote.bestBid: invalid value"]);
    assert.deepEqual(r, { rows: 2, skipped: 2 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("spillFailureGaps() makes one row listing the lost trades' tokens and span", () => {
  const lost = [
    { ...trade(5), row: { ...trade(5).row, tokenId: "2" } },
    trade(0),
    { ...trade(9), row: { ...trade(9).row, tokenId: "2" } },
    trade(3),
    { ...trade(7), row: { ...trade(7).row, tokenId: "10" } },
  ];
  assert.deepEqual(spillFailureGaps(lost), [{
    collector: "trades",
    scope: "spill",
    startAt: new Date(1000),
    endAt: new Date(1009),
    cause: "spill_failed",
    tokens: ["1", "10", "2"],
  }]);
  assert.deepEqual(spillFailureGaps([]), []);
});
