/**
 * `pmcollect model fit` and `model eval` end to end on a real PostgreSQL seeded through the
 * collectors' writers (`_dataset_seed.ts`): fit stores a version and prints the walk-forward
 * table; eval scores it on markets resolved after its window (a forward test) or, when there
 * are none, prints the stored evaluation; `--html` writes the plots.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { withDatabase } from "./_db.ts";
import { seedDataset } from "./_dataset_seed.ts";
import { parseModelArgs, runModelCommand } from "../cli/model_command.ts";
import { loadConfig } from "../runtime/config.ts";
import { silentLogger } from "../runtime/log.ts";
import { latestModel } from "../models/store.ts";

function runner(url: string) {
  return async (args: string[]) => {
    const lines: string[] = [];
    const code = await runModelCommand(loadConfig({ DATABASE_URL: url }), {
      log: silentLogger(),
      signal: new AbortController().signal,
      write: (line: string) => lines.push(line),
      args,
    });
    return { code, text: lines.join("\n") };
  };
}

Deno.test("pmcollect model fit stores a version; eval forward-tests it and writes the plots", async () => {
  await withDatabase("server", async (db) => {
    await seedDataset(db.sql, {
      markets: 40,
      historyDays: 3,
      spreadDays: 10,
      priceStepMinutes: 60,
    });
    const run = runner(db.url!);
    const fit = await run(["fit", "--horizons", "1h,24h", "--until", "2026-11-15T00:00:00Z"]);
    assert.equal(fit.code, 0, fit.text);
    assert.match(
      fit.text,
      /^dataset: \d+ rows from \d+ resolved binary markets; left out: \d+ markets voided/m,
    );
    assert.match(fit.text, /^horizon t-1h; excluded: .*first-block rows \(training only\)/m);
    assert.match(
      fit.text,
      /^model: stored version 1 \(auto, trained on markets resolved 2026-11-/m,
    );
    const stored = await latestModel(db.sql);
    assert.equal(stored?.version, 1);
    assert.deepEqual(stored?.horizons, ["1h", "24h"]);
    assert.ok(stored!.trainUntil < new Date("2026-11-15T00:00:00Z"));

    const again = await run(["fit", "--horizons", "1h,24h", "--until", "2026-11-15T00:00:00Z"]);
    assert.match(again.text, /stored version 1 /, "the same fit is the same version");

    const dir = await Deno.makeTempDir({ prefix: "model_eval_" });
    try {
      const html = join(dir, "eval.html");
      const forward = await run(["eval", "--html", html]);
      assert.equal(forward.code, 0, forward.text);
      assert.match(forward.text, /^model: version 1 \(auto\)/m);
      assert.match(forward.text, /^dataset: \d+ rows/m);
      assert.match(forward.text, /; \d+ rows whose instant falls inside the training window;/);
      assert.match(forward.text, /^all \(tail excluded\)\s+\d+\s+\d+\s+2026-11-1[5-9]/m);
      const page = await Deno.readTextFile(html);
      assert.match(page, /forward test from 2026-11-/);
      assert.ok((page.match(/<svg /g)?.length ?? 0) >= 3);

      const none = await run(["eval", "--since", "2026-12-01T00:00:00Z"]);
      assert.equal(none.code, 0, none.text);
      assert.match(none.text, /no market resolved after the training window yet/);
      assert.match(none.text, /^horizon t-1h; excluded: .*first-block rows/m);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    const missing = await run(["eval", "--model-version", "9"]);
    assert.equal(missing.code, 1);
  });
});

Deno.test("parseModelArgs() refuses a missing action and options of the other action", () => {
  assert.throws(() => parseModelArgs([]), /fit or eval, got nothing/);
  assert.throws(() => parseModelArgs(["train"]), /fit or eval, got "train"/);
  assert.throws(
    () => parseModelArgs(["eval", "--horizons", "1h"]),
    /--horizons belongs to model fit/,
  );
  assert.throws(() => parseModelArgs(["fit", "--html", "x.html"]), /--html belongs to model eval/);
  assert.throws(() => parseModelArgs(["fit", "--method", "forest"]), /--method must be one of/);
  assert.throws(() => parseModelArgs(["eval", "--model-version", "0"]), /positive whole number/);
  assert.throws(() => parseModelArgs(["fit", "--horizons", "2x"]), /--horizons: Not a horizon/);
  assert.deepEqual(parseModelArgs(["fit"]).horizons.map((h) => h.label), ["1h", "24h", "7d"]);
});
