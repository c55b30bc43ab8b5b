import assert from "node:assert/strict";
import { evaluationHtml } from "./report_html.ts";
import { evaluateForecasts } from "./evaluate.ts";
import { synthesizeHistory } from "./synthetic.ts";

const { rows, hidden } = synthesizeHistory({ markets: 2000, seed: 3 });
const evaluation = evaluateForecasts(rows.map((row, i) => ({ row, probability: hidden[i] })), {
  resamples: 100,
});

Deno.test("evaluationHtml() draws three plots per horizon with one mark per bin and segment", () => {
  const html = evaluationHtml(evaluation, { title: "oracle <check>", notes: ["seed 3 & co"] });
  assert.equal(html.match(/<svg /g)?.length, 3);
  const all = evaluation[0].segments.find((s) => s.kind === "all")!;
  const filled = all.model.bins.filter((b) => b.n > 0).length +
    all.market.bins.filter((b) => b.n > 0).length;
  assert.equal(html.match(/class="bin"/g)?.length, filled);
  assert.equal(html.match(/class="diff"/g)?.length, evaluation[0].segments.length);
  assert.match(html, /<h1>oracle &#60;check&#62;<\/h1>/);
  assert.match(html, /seed 3 &#38; co/);
  assert.ok(!html.includes("NaN"), "no coordinate is NaN");
});
