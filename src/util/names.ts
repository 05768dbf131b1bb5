/**
 * Records keyed by names users choose (inputs, dims, outputs). A plain `{}` answers to
 * `constructor` and `toString`, and assigning `__proto__` replaces its prototype; a record
 * without a prototype holds any name as an ordinary key.
 */
export function nameRecord<T>(from?: Readonly<Record<string, T>>): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  // Object.entries copies own keys only, and assignment into a null-prototype object defines them.
  if (from) for (const [k, v] of Object.entries(from)) out[k] = v;
  return out;
}

/** `record[key]` when `key` is the record's own, else undefined (never an Object.prototype member). */
export function ownValue<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}
