/**
 * `deno task test` (`scripts/test.ts`): options reach both runs, and files or folders given choose
 * what each run tests.
 */
import assert from "node:assert/strict";
import { planRuns, SERIAL } from "../scripts/test.ts";

const paths = new Set(["tests/", "tests/dataset_db_test.ts", ...SERIAL, `./${SERIAL[1]}`]);
const isPath = (arg: string) => paths.has(arg);
/** Each run as `parallel|serial` and its arguments after the permissions. */
const shape = (args: string[]) =>
  planRuns(args, isPath).map((r) =>
    `${r.parallel ? "parallel" : "serial"} ${r.args.filter((a) => !/^--(allow|lock)/.test(a))}`
  );

Deno.test("planRuns() without files: the suite in parallel, then the serial files alone", () => {
  assert.deepEqual(shape([]), [
    `parallel --ignore=${SERIAL.join(",")}`,
    `serial ${SERIAL.join(",")}`,
  ]);
});

Deno.test("planRuns() gives options to both runs, values included", () => {
  assert.deepEqual(shape(["--filter", "dataset", "--fail-fast"]), [
    `parallel --ignore=${SERIAL.join(",")},--filter,dataset,--fail-fast`,
    `serial --filter,dataset,--fail-fast,${SERIAL.join(",")}`,
  ]);
});

Deno.test("planRuns() runs the files given, each in its own run", () => {
  assert.deepEqual(shape(["tests/dataset_db_test.ts"]), [
    `parallel --ignore=${SERIAL.join(",")},tests/dataset_db_test.ts`,
  ]);
  assert.deepEqual(shape([SERIAL[0], "--filter", "kill"]), [`serial --filter,kill,${SERIAL[0]}`]);
  // A folder holds both serial files: the parallel run skips them, the serial run takes them.
  assert.deepEqual(shape(["tests/"]), [
    `parallel --ignore=${SERIAL.join(",")},tests/`,
    `serial ${SERIAL.join(",")}`,
  ]);
  assert.deepEqual(shape(["./" + SERIAL[1], "tests/dataset_db_test.ts"]), [
    `parallel --ignore=${SERIAL.join(",")},tests/dataset_db_test.ts`,
    `serial ${SERIAL[1]}`,
  ]);
});
