import { rejects } from "node:assert/strict";
import { createLogger } from "../runtime/log.ts";
import { runSimulateCommand, SimulateUsageError } from "./cli.ts";

Deno.test("runSimulateCommand() refuses a --balance or --settle-ms that is not an amount", async () => {
  const deps = { signal: AbortSignal.abort(), log: createLogger({}, { write: () => {} }) };
  for (const args of [["--balance", "ten"], ["--balance", "1.1234567"], ["--settle-ms", "0.5"]]) {
    await rejects(runSimulateCommand(["--port", "0", ...args], deps), SimulateUsageError);
  }
});
