import { readFileSync } from "node:fs";
import { expect } from "vitest";
import { UserError } from "../../src/diagnostics/errors.js";

export const FIXTURES = new URL("./fixtures/", import.meta.url);

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(name, FIXTURES)));
}

/** Runs `run`, expects a UserError with this code (and message pattern), and returns it. */
export function expectUserError(run: () => unknown, code: string, message?: RegExp): UserError {
  let caught: unknown;
  try {
    run();
  } catch (e) {
    caught = e;
  }
  expect(caught, "expected a UserError").toBeInstanceOf(UserError);
  const error = caught as UserError;
  expect(error.code, error.message).toBe(code);
  if (message !== undefined) expect(error.message).toMatch(message);
  return error;
}

export async function expectUserErrorAsync(run: () => Promise<unknown>, code: string, message?: RegExp): Promise<UserError> {
  const caught: unknown = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(caught, "expected a UserError").toBeInstanceOf(UserError);
  const error = caught as UserError;
  expect(error.code, error.message).toBe(code);
  if (message !== undefined) expect(error.message).toMatch(message);
  return error;
}

export function ascii(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function u64le(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  return out;
}
