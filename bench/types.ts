/** One line of the benchmark table: a measurement beside its baseline from the same run. */
export interface BenchRow {
  name: string;
  unit: string;
  value: number;
  baselineName: string;
  baseline: number;
  /** Optional target the issue sets, for the note (value/unit). */
  target?: string;
}
