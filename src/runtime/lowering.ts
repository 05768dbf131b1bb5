/** The lowering context layer kinds emit into (filled in by the runtime). */
export interface Lowering {
  readonly kind: "lowering";
}
