/**
 * The few PostgreSQL wire-protocol messages the embedded session server reads or writes
 * itself (protocol 3.0: a type byte, then a big-endian int32 length that counts itself).
 *
 * @example
 * ```ts
 * import { lastReadyStatus } from "./_embedded_wire.ts";
 * lastReadyStatus(new Uint8Array([0x5a, 0, 0, 0, 5, 0x49])); // "I"
 * ```
 */

const encoder = new TextEncoder();

/** Complete typed messages at the front of `bytes`, and the incomplete rest. */
export function splitMessages(bytes: Uint8Array): [Uint8Array[], Uint8Array] {
  const messages: Uint8Array[] = [];
  let at = 0;
  while (bytes.length - at >= 5) {
    const length = new DataView(bytes.buffer, bytes.byteOffset + at + 1, 4).getInt32(0);
    if (bytes.length - at < 1 + length) break;
    messages.push(bytes.slice(at, at + 1 + length));
    at += 1 + length;
  }
  return [messages, bytes.slice(at)];
}

/**
 * The transaction status of the last ReadyForQuery in a backend answer ("I" idle, "T" in a
 * transaction, "E" in a failed one), or null when the answer has none (the sequence goes on).
 */
export function lastReadyStatus(answer: Uint8Array): "I" | "T" | "E" | null {
  let status: "I" | "T" | "E" | null = null;
  let at = 0;
  while (answer.length - at >= 5) {
    const length = new DataView(answer.buffer, answer.byteOffset + at + 1, 4).getInt32(0);
    if (answer[at] === 0x5a && length === 5 && at + 5 < answer.length) {
      status = String.fromCharCode(answer[at + 5]!) as "I" | "T" | "E";
    }
    at += 1 + length;
  }
  return status;
}

/** The statement name of a Parse message ("" for the unnamed statement). */
export function parsedStatementName(message: Uint8Array): string {
  const end = message.indexOf(0, 5);
  return new TextDecoder().decode(message.subarray(5, end < 0 ? 5 : end));
}

/** A StartupMessage (protocol 3.0) with the given parameters. */
export function startupPacket(parameters: Record<string, string>): Uint8Array {
  const body = encoder.encode(
    Object.entries(parameters).map(([k, v]) => `${k}\0${v}\0`).join("") + "\0",
  );
  const out = new Uint8Array(8 + body.length);
  const view = new DataView(out.buffer);
  view.setInt32(0, out.length);
  view.setInt32(4, 196608);
  out.set(body, 8);
  return out;
}

/** AuthenticationCleartextPassword. */
export function authenticationCleartext(): Uint8Array {
  return new Uint8Array([0x52, 0, 0, 0, 8, 0, 0, 0, 3]);
}

/** An ErrorResponse with severity ERROR, the SQLSTATE `code` and `message`. */
export function errorResponse(code: string, message: string): Uint8Array {
  const fields = encoder.encode(`SERROR\0VERROR\0C${code}\0M${message}\0\0`);
  const out = new Uint8Array(5 + fields.length);
  out[0] = 0x45;
  new DataView(out.buffer).setInt32(1, 4 + fields.length);
  out.set(fields, 5);
  return out;
}
