import assert from "node:assert/strict";
import { evaluationHtml } from "./report_html.ts";
import { evaluateForecasts } from "./evaluate.ts";
import { synthesizeHistory } from "./synthetic.ts";

const { rows, hidden } = synthesizeHistory({ markets: 2000, seed: 3 });
const evaluation = evaluateForecasts(rows.map((row, i) => ({ row, probability: hidden[i] })), {
  resamples: 100,
});

Deno.test("evaluationHtml() draws the plots of every horizon with one mark per bin and segment", () => {
  const html = evaluationHtml(evaluation, { title: "oracle <check>", notes: ["seed 3 & co"] });
  const reliabilities = evaluation[0].segments.filter((s) =>
    s.kind === "all" || s.kind === "domain"
  );
  assert.equal(reliabilities.length, 5);
  // Reliability for all rows and per domain, Brier by segment, the intervals.
  assert.equal(html.match(/<svg /g)?.length, reliabilities.length + 2);
  const filled = reliabilities.reduce(
    (n, s) =>
      n + s.model.bins.filter((b) => b.n > 0).length + s.market.bins.filter((b) => b.n > 0).length,
    0,
  );
  assert.equal(html.match(/class="bin"/g)?.length, filled);
  assert.match(html, /Reliability: politics, \d+ rows/);
  assert.equal(html.match(/class="diff"/g)?.length, evaluation[0].segments.length);
  assert.match(html, /<h1>oracle &#60;check&#62;<\/h1>/);
  assert.match(html, /seed 3 &#38; co/);
  assert.ok(!html.includes("NaN"), "no coordinate is NaN");
});
