import assert from "node:assert/strict";
import { UsageError } from "./command_line.ts";
import { paperSchemaName, parsePaperArgs } from "./paper_command.ts";

const SPAN = ["--since", "2026-11-30T00:00:00Z", "--until", "2026-12-01T00:00:00Z"];

Deno.test("parsePaperArgs() takes the interval, events, latency and cash, with defaults", () => {
  const args = parsePaperArgs([
    ...SPAN,
    "--events",
    "1, 2",
    "--latency-ms",
    "250",
    "--cash",
    "50.5",
  ]);
  assert.deepEqual(args, {
    since: new Date("2026-11-30T00:00:00Z"),
    until: new Date("2026-12-01T00:00:00Z"),
    events: ["1", "2"],
    latencyMs: 250,
    cash: "50.5",
  });
  assert.deepEqual([parsePaperArgs(SPAN).latencyMs, parsePaperArgs(SPAN).cash], [100, "10000"]);
});

Deno.test("parsePaperArgs() refuses a missing interval, a bad latency or cash, with a clear message", () => {
  const refuses = (args: string[], message: RegExp) =>
    assert.throws(
      () => parsePaperArgs(args),
      (err) => err instanceof UsageError && message.test(err.message),
    );
  refuses(["--since", "2026-11-30T00:00:00Z"], /needs --since and --until/);
  refuses([...SPAN, "--latency-ms=-5"], /--latency-ms must be a whole number of ms, got "-5"/);
  refuses([...SPAN, "--latency-ms", "1.5"], /--latency-ms must be a whole number/);
  refuses([...SPAN, "--cash", "0"], /--cash must be a positive decimal, got "0"/);
  refuses([...SPAN, "--cash", "lots"], /--cash must be a positive decimal/);
  refuses(
    ["--since", "2026-12-01T00:00:00Z", "--until", "2026-11-30T00:00:00Z"],
    /--since \(2026-12-01T00:00:00.000Z\) must be before --until/,
  );
});

Deno.test("paperSchemaName() is a valid unquoted identifier with the run's instant", () => {
  const name = paperSchemaName(new Date("2026-12-06T10:04:05.123Z"), () => 0.5);
  assert.match(name, /^paper_20261206_100405_[0-9a-z]{4}$/);
});
