/**
 * Symbolic dimension expressions, in the spirit of `jax.export.symbolic_shape`.
 *
 * An expression is kept in a canonical polynomial form: a sum of terms, each an integer
 * coefficient times a product of factors. A factor is a symbol (`batch`) or an opaque
 * `a // b` / `a % b` that could not be simplified. Equal expressions therefore have equal
 * keys, so shape equality is a string comparison, and printing is deterministic.
 */

export type Factor =
  | { readonly kind: "sym"; readonly name: string }
  | { readonly kind: "floordiv" | "mod"; readonly a: Expr; readonly b: Expr }
  /** `min(a, b)` / `max(a, b)`, as clamped slice bounds produce them (NumPy's slice rules). */
  | { readonly kind: "min" | "max"; readonly a: Expr; readonly b: Expr };

interface Term {
  readonly coef: number;
  /** Factors with their powers, sorted by key; empty for the constant term. */
  readonly factors: readonly (readonly [Factor, number])[];
}

function factorKey(f: Factor): string {
  return f.kind === "sym" ? f.name : `${f.kind}(${f.a.key},${f.b.key})`;
}

function monoKey(factors: readonly (readonly [Factor, number])[]): string {
  return factors.map(([f, p]) => (p === 1 ? factorKey(f) : `${factorKey(f)}^${p}`)).join("*");
}

export class Expr {
  /** Terms by monomial key ("" is the constant term). Never holds a zero coefficient. */
  private readonly terms: ReadonlyMap<string, Term>;
  private keyText: string | undefined;

  private constructor(terms: Map<string, Term>) {
    this.terms = terms;
  }

  /** Canonical text: equal expressions have equal keys. */
  get key(): string {
    this.keyText ??= [...this.terms.keys()]
      .sort()
      .map((k) => `${this.terms.get(k)!.coef}${k === "" ? "" : "·" + k}`)
      .join("+");
    return this.keyText;
  }

  static const(n: number): Expr {
    if (!Number.isSafeInteger(n)) throw new RangeError(`dimension ${n} is not a safe integer`);
    let e = SMALL.get(n);
    if (!e) {
      e = new Expr(n === 0 ? new Map() : new Map([["", { coef: n, factors: [] }]]));
      if (SMALL.size < 4096) SMALL.set(n, e);
    }
    return e;
  }

  static sym(name: string): Expr {
    return Expr.factor({ kind: "sym", name });
  }

  private static factor(f: Factor): Expr {
    const factors = [[f, 1] as const];
    return new Expr(new Map([[monoKey(factors), { coef: 1, factors }]]));
  }

  /** The integer value when the expression has no symbols. */
  get constant(): number | undefined {
    if (this.terms.size === 0) return 0;
    if (this.terms.size === 1 && this.terms.has("")) return this.terms.get("")!.coef;
    return undefined;
  }

  get isConst(): boolean {
    return this.constant !== undefined;
  }

  /** Every symbol the expression mentions, sorted. */
  symbols(): string[] {
    const out = new Set<string>();
    const visit = (e: Expr): void => {
      for (const t of e.terms.values())
        for (const [f] of t.factors) {
          if (f.kind === "sym") out.add(f.name);
          else {
            visit(f.a);
            visit(f.b);
          }
        }
    };
    visit(this);
    return [...out].sort();
  }

  private constTerm(): number {
    return this.terms.get("")?.coef ?? 0;
  }

  add(o: Expr | number): Expr {
    const other = toExpr(o);
    const a = this.constant;
    const b = other.constant;
    if (a !== undefined && b !== undefined) return Expr.const(a + b);
    if (b === 0) return this;
    if (a === 0) return other;
    const terms = new Map(this.terms);
    for (const [k, t] of other.terms) {
      const c = (terms.get(k)?.coef ?? 0) + t.coef;
      if (c === 0) terms.delete(k);
      else terms.set(k, { coef: c, factors: t.factors });
    }
    return new Expr(terms);
  }

  neg(): Expr {
    return this.scale(-1);
  }

  sub(o: Expr | number): Expr {
    return this.add(toExpr(o).neg());
  }

  private scale(c: number): Expr {
    if (c === 0) return Expr.const(0);
    const terms = new Map<string, Term>();
    for (const [k, t] of this.terms) terms.set(k, { coef: t.coef * c, factors: t.factors });
    return new Expr(terms);
  }

  mul(o: Expr | number): Expr {
    const other = toExpr(o);
    const a = this.constant;
    const b = other.constant;
    if (a !== undefined && b !== undefined) return Expr.const(a * b);
    if (b === 1) return this;
    if (a === 1) return other;
    let out = Expr.const(0);
    for (const a of this.terms.values())
      for (const b of other.terms.values()) {
        const powers = new Map<string, [Factor, number]>();
        for (const [f, p] of [...a.factors, ...b.factors]) {
          const k = factorKey(f);
          powers.set(k, [f, (powers.get(k)?.[1] ?? 0) + p]);
        }
        const factors = [...powers.keys()].sort().map((k) => powers.get(k)!);
        out = out.add(new Expr(new Map([[monoKey(factors), { coef: a.coef * b.coef, factors }]])));
      }
    return out;
  }

  /**
   * Python floor division. Exact when the divisor is a constant that divides every
   * symbolic coefficient: (c·k·x + r) // c = k·x + r // c for any integer x.
   */
  floordiv(o: Expr | number): Expr {
    const d = toExpr(o);
    const dc = d.constant;
    if (dc === 0) throw new RangeError("division by zero in a shape expression");
    const ac = this.constant;
    if (ac !== undefined && dc !== undefined) return Expr.const(Math.floor(ac / dc));
    if (dc === 1) return this;
    if (dc !== undefined && this.symbolicCoefsDivisibleBy(dc)) {
      return this.sub(this.constTerm()).scale(1 / dc).add(Math.floor(this.constTerm() / dc));
    }
    return this.divideByMonomial(d) ?? Expr.factor({ kind: "floordiv", a: this, b: d });
  }

  /** Python modulo (result has the divisor's sign). */
  mod(o: Expr | number): Expr {
    const d = toExpr(o);
    const dc = d.constant;
    if (dc === 0) throw new RangeError("modulo by zero in a shape expression");
    const ac = this.constant;
    if (ac !== undefined && dc !== undefined) return Expr.const(pyMod(ac, dc));
    if (dc !== undefined && this.symbolicCoefsDivisibleBy(dc)) return Expr.const(pyMod(this.constTerm(), dc));
    return Expr.factor({ kind: "mod", a: this, b: d });
  }

  /**
   * Python's min(a, b): folded when the difference is provably of one sign with every symbol
   * at least its `mins` entry (0 for symbols not listed: sizes are non-negative).
   */
  min(o: Expr | number, mins: Readonly<Record<string, number>> = {}): Expr {
    return this.extreme(toExpr(o), "min", mins);
  }

  /** Python's max(a, b), folded as min is. */
  max(o: Expr | number, mins: Readonly<Record<string, number>> = {}): Expr {
    return this.extreme(toExpr(o), "max", mins);
  }

  private extreme(o: Expr, kind: "min" | "max", mins: Readonly<Record<string, number>>): Expr {
    const aGeB = this.sub(o).lowerBound(mins);
    const bGeA = o.sub(this).lowerBound(mins);
    if (aGeB !== undefined && aGeB >= 0) return kind === "max" ? this : o;
    if (bGeA !== undefined && bGeA >= 0) return kind === "max" ? o : this;
    // Canonical argument order (a constant last), so min(a, b) and min(b, a) have one key.
    const first = this.isConst !== o.isConst ? o.isConst : this.key <= o.key;
    const [a, b] = first ? [this, o] : [o, this];
    return Expr.factor({ kind, a, b });
  }

  /** Ceil division as strides produce it, written as floor division: (a + d - 1) // d. */
  ceildiv(d: number): Expr {
    if (!(d > 0)) throw new RangeError("ceil division needs a positive divisor");
    return this.add(d - 1).floordiv(d);
  }

  /** Exact division by a single positive term (3136*batch // batch = 3136), if every term divides. */
  private divideByMonomial(d: Expr): Expr | undefined {
    if (d.terms.size !== 1) return undefined;
    const dt = [...d.terms.values()][0]!;
    if (dt.coef <= 0) return undefined;
    const terms = new Map<string, Term>();
    for (const t of this.terms.values()) {
      if (t.coef % dt.coef !== 0) return undefined;
      const powers = new Map(t.factors.map(([f, p]) => [factorKey(f), [f, p] as [Factor, number]]));
      for (const [f, p] of dt.factors) {
        const have = powers.get(factorKey(f));
        if (!have || have[1] < p) return undefined;
        if (have[1] === p) powers.delete(factorKey(f));
        else powers.set(factorKey(f), [f, have[1] - p]);
      }
      const factors = [...powers.keys()].sort().map((k) => powers.get(k)!);
      terms.set(monoKey(factors), { coef: t.coef / dt.coef, factors });
    }
    return new Expr(terms);
  }

  private symbolicCoefsDivisibleBy(d: number): boolean {
    for (const [k, t] of this.terms) if (k !== "" && t.coef % d !== 0) return false;
    return true;
  }

  equals(o: Expr | number): boolean {
    const other = toExpr(o);
    if (other === this) return true;
    const a = this.constant;
    const b = other.constant;
    if (a !== undefined || b !== undefined) return a === b;
    return this.key === other.key;
  }

  /** Evaluate with every symbol bound. Throws if a symbol is missing. */
  evaluate(env: Readonly<Record<string, number>>): number {
    let total = 0;
    for (const t of this.terms.values()) {
      let v = t.coef;
      for (const [f, p] of t.factors) v *= evalFactor(f, env) ** p;
      total += v;
    }
    return total;
  }

  /**
   * A value the expression is never below when every symbol is at least its `mins` entry (0 for
   * symbols not listed), or undefined when that is not provable simply: only sums of products
   * of symbols and floor divisions by positive constants, with non-negative coefficients, which
   * grow with every symbol, so their value at the minimums bounds them.
   */
  lowerBound(mins: Readonly<Record<string, number>>): number | undefined {
    let total = 0;
    for (const [k, t] of this.terms) {
      if (k === "") {
        total += t.coef;
        continue;
      }
      if (t.coef < 0) {
        // -c·min(a, k) >= -c·k for a constant k (clamped slice bounds: 8 - min(seq, 8) >= 0).
        const f = t.factors.length === 1 && t.factors[0]![1] === 1 ? t.factors[0]![0] : undefined;
        const cap = f?.kind === "min" ? (f.b.constant ?? f.a.constant) : undefined;
        if (cap === undefined) return undefined;
        total += t.coef * cap;
        continue;
      }
      let v = t.coef;
      for (const [f, p] of t.factors) {
        if (f.kind === "min" || f.kind === "max") {
          const bounds = [f.a.lowerBound(mins), f.b.lowerBound(mins)].filter((x) => x !== undefined);
          // min needs both bounds; max(a, b) is at least either one.
          if (bounds.length === 0 || (f.kind === "min" && bounds.length < 2)) return undefined;
          const m = f.kind === "min" ? Math.min(...bounds) : Math.max(...bounds);
          if (m < 0) return undefined;
          v *= m ** p;
          continue;
        }
        const b = f.kind === "floordiv" ? f.b.constant : undefined;
        const lb = f.kind === "sym" ? Math.max(0, (Object.hasOwn(mins, f.name) ? mins[f.name] : undefined) ?? 0) : b !== undefined && b > 0 ? f.a.lowerBound(mins) : undefined;
        if (lb === undefined || lb < 0) return undefined;
        v *= (f.kind === "sym" ? lb : Math.floor(lb / b!)) ** p;
      }
      total += v;
    }
    return total;
  }

  /** Substitute the given symbols (others stay symbolic). */
  substitute(env: Readonly<Record<string, number>>): Expr {
    let out = Expr.const(0);
    for (const t of this.terms.values()) {
      let term = Expr.const(t.coef);
      for (const [f, p] of t.factors) {
        let fe: Expr;
        if (f.kind === "sym") fe = Object.hasOwn(env, f.name) ? Expr.const(env[f.name]!) : Expr.sym(f.name);
        else {
          const a = f.a.substitute(env);
          const b = f.b.substitute(env);
          fe = f.kind === "floordiv" ? a.floordiv(b) : f.kind === "mod" ? a.mod(b) : f.kind === "min" ? a.min(b) : a.max(b);
        }
        for (let i = 0; i < p; i++) term = term.mul(fe);
      }
      out = out.add(term);
    }
    return out;
  }

  /** Python-style text: `2*seq + 1`, `(seq + 1) // 2`, `batch*seq`. */
  toString(): string {
    if (this.terms.size === 0) return "0";
    const sorted = [...this.terms.entries()].sort(([ka, ta], [kb, tb]) => {
      if (ka === "") return 1;
      if (kb === "") return -1;
      return degree(tb) - degree(ta) || (ka < kb ? -1 : 1);
    });
    let s = "";
    sorted.forEach(([, t], i) => {
      const neg = t.coef < 0;
      const body = termText(Math.abs(t.coef), t.factors);
      if (i === 0) s = neg ? `-${body}` : body;
      else s += neg ? ` - ${body}` : ` + ${body}`;
    });
    return s;
  }

  /** True when the printed form is a single atom (needs no parentheses as an operand). */
  get isAtom(): boolean {
    if (this.terms.size !== 1) return false;
    const t = [...this.terms.values()][0]!;
    if (t.factors.length === 0) return t.coef >= 0;
    const k = t.factors[0]![0].kind;
    return t.coef === 1 && t.factors.length === 1 && t.factors[0]![1] === 1 && (k === "sym" || k === "min" || k === "max");
  }

  toJSON(): number | string {
    return this.constant ?? this.toString();
  }
}

/** Interned small constants: shapes are mostly made of them. */
const SMALL = new Map<number, Expr>();

function degree(t: Term): number {
  return t.factors.reduce((n, [, p]) => n + p, 0);
}

function termText(coef: number, factors: readonly (readonly [Factor, number])[]): string {
  if (factors.length === 0) return String(coef);
  const parts = factors.map(([f, p]) => {
    const base = f.kind === "sym" || f.kind === "min" || f.kind === "max" ? factorText(f) : `(${factorText(f)})`;
    return p === 1 ? base : `${base}**${p}`;
  });
  // A lone floordiv/mod factor needs no parentheses of its own.
  if (coef === 1 && factors.length === 1 && factors[0]![1] === 1 && factors[0]![0].kind !== "sym") {
    return factorText(factors[0]![0]);
  }
  return (coef === 1 ? "" : `${coef}*`) + parts.join("*");
}

function factorText(f: Factor): string {
  if (f.kind === "sym") return f.name;
  if (f.kind === "min" || f.kind === "max") return `${f.kind}(${f.a.toString()}, ${f.b.toString()})`;
  const a = f.a.isAtom ? f.a.toString() : `(${f.a.toString()})`;
  const b = f.b.isAtom ? f.b.toString() : `(${f.b.toString()})`;
  return `${a} ${f.kind === "floordiv" ? "//" : "%"} ${b}`;
}

function evalFactor(f: Factor, env: Readonly<Record<string, number>>): number {
  if (f.kind === "sym") {
    const v = Object.hasOwn(env, f.name) ? env[f.name] : undefined;
    if (v === undefined) throw new RangeError(`no value for dim ${f.name}`);
    return v;
  }
  const a = f.a.evaluate(env);
  const b = f.b.evaluate(env);
  if (f.kind === "min") return Math.min(a, b);
  if (f.kind === "max") return Math.max(a, b);
  if (b === 0) throw new RangeError("division by zero in a shape expression");
  return f.kind === "floordiv" ? Math.floor(a / b) : pyMod(a, b);
}

export function pyMod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

export function toExpr(x: Expr | number | string): Expr {
  if (x instanceof Expr) return x;
  return typeof x === "number" ? Expr.const(x) : Expr.sym(x);
}

export type Shape = readonly Expr[];

export function shapeText(s: Shape): string {
  return `[${s.map((d) => d.toString()).join(", ")}]`;
}

export function shapeJSON(s: Shape): (number | string)[] {
  return s.map((d) => d.toJSON());
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d.equals(b[i]!));
}

export function product(dims: Shape): Expr {
  return dims.reduce((acc, d) => acc.mul(d), Expr.const(1));
}

/** The static sizes of a shape, or undefined when any dim is symbolic. */
export function staticShape(s: Shape): number[] | undefined {
  const out: number[] = [];
  for (const d of s) {
    const c = d.constant;
    if (c === undefined) return undefined;
    out.push(c);
  }
  return out;
}
