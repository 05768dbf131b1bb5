/** Names in generated code, derived from the spec's validated identifiers. */

/**
 * The snake_case file name of a model (CONTRACT §2): `_` before a capital that follows a
 * lowercase letter or a digit, and before a capital that follows a capital and precedes a
 * lowercase letter; then lowercase. `TwoTower` -> `two_tower`, `HTTPModel` -> `http_model`.
 */
export function snakeCase(name: string): string {
  return name.replace(/(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])/g, "_").toLowerCase();
}

/** `num_heads` -> `NumHeads`: the type-parameter spelling of a lower_snake dim symbol. */
export function pascalCase(symbol: string): string {
  return symbol
    .split("_")
    .filter((part) => part !== "")
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join("");
}

/**
 * One type-parameter name per symbol, unique, and never shadowing a type the generated
 * signatures mention (`batch` -> `Batch`, but `tensor` -> `TensorDim`).
 */
export function typeParamNames(symbols: readonly string[], taken: Iterable<string>): Map<string, string> {
  const used = new Set(taken);
  const out = new Map<string, string>();
  for (const symbol of symbols) {
    const base = pascalCase(symbol) || "Dim";
    let name = used.has(base) ? `${base}Dim` : base;
    for (let k = 2; used.has(name); k++) name = `${base}Dim${k}`;
    used.add(name);
    out.set(symbol, name);
  }
  return out;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** The IR guarantees identifiers; a hand-built IR that breaks that must not produce broken code. */
export function assertIdentifier(name: string, what: string): string {
  if (!IDENTIFIER.test(name)) throw new TypeError(`${what} ${JSON.stringify(name)} is not an identifier`);
  return name;
}
