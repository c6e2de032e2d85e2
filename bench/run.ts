/**
 * Runs the benchmarks and prints each figure beside its baseline from the same run.
 *
 *   npm run bench                     every benchmark
 *   npm run bench -- webhook queue    the named ones
 *   npm run bench -- --strict         exit 1 when a benchmark fails (default: report it, exit 0)
 *
 * Rows are also written to bench/results/latest.json (not committed: results belong to a machine).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, platform, arch, totalmem } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../core/runtime/compiled-hub.js';
import type { BenchRow } from './types.js';

type Benchmark = () => Promise<BenchRow[]>;

const BENCHMARKS: Record<string, () => Promise<{ default: Benchmark }>> = {
  queue: () => import('./queue.js'),
  ingest: () => import('./ingest.js'),
  webhook: () => import('./webhook.js'),
  x12: () => import('./x12.js'),
  fhir: () => import('./fhir.js'),
};

/** How long the process may linger after the results are out before open handles are reported. */
const EXIT_GRACE_MS = 5000;

interface Failure {
  benchmark: string;
  error: string;
}

async function main(argv: string[]): Promise<number> {
  const strict = argv.includes('--strict');
  const unknownFlags = argv.filter((arg) => arg.startsWith('-') && arg !== '--strict');
  const names = argv.filter((arg) => !arg.startsWith('-'));
  const unknown = names.filter((name) => !(name in BENCHMARKS));
  if (unknownFlags.length || unknown.length) {
    const what = [...unknown.map((n) => `benchmark "${n}"`), ...unknownFlags.map((f) => `option ${f}`)].join(', ');
    process.stderr.write(`unknown ${what}\nusage: npm run bench [-- [--strict] [${Object.keys(BENCHMARKS).join('|')} ...]]\n`);
    return 2;
  }
  const selected = names.length ? [...new Set(names)] : Object.keys(BENCHMARKS);

  const machine = {
    cores: cpus().length,
    model: cpus()[0]?.model.trim() ?? 'unknown CPU',
    node: process.version,
    platform: `${platform()} ${arch()}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
  };
  process.stdout.write(`machine: ${machine.cores} cores, ${machine.model}, Node ${machine.node}, ${machine.platform}, ${machine.memoryGiB} GiB\n`);

  const rows: (BenchRow & { benchmark: string })[] = [];
  const failures: Failure[] = [];
  for (const name of selected) {
    process.stdout.write(`running ${name} …\n`);
    const started = performance.now();
    try {
      const { default: run } = await BENCHMARKS[name]!();
      const produced = await run();
      rows.push(...produced.map((row) => ({ benchmark: name, ...row })));
      process.stdout.write(`  ${name}: ${produced.length} row(s) in ${((performance.now() - started) / 1000).toFixed(1)}s\n`);
    } catch (error) {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      failures.push({ benchmark: name, error: error instanceof Error ? error.message : String(error) });
      process.stderr.write(`  ${name} FAILED: ${text}\n`);
    }
  }

  process.stdout.write(`\n${table(rows)}\n`);
  if (failures.length) process.stdout.write(`failed: ${failures.map((f) => f.benchmark).join(', ')}\n`);

  // The project's bench/results, whether the bench runs compiled (from dist/) or from its sources.
  const resultsDir = join(PROJECT_ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, 'latest.json');
  const results = { runAt: new Date().toISOString(), machine, benchmarks: selected, rows: rows.map((r) => ({ ...r, ratio: ratio(r) })), failures };
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`results: ${file}\n`);
  return strict && failures.length ? 1 : 0;
}

function ratio(row: BenchRow): number {
  return row.baseline > 0 ? Math.round((row.value / row.baseline) * 100) / 100 : Number.NaN;
}

function figure(n: number, unit: string): string {
  return `${Math.round(n).toLocaleString('en-US')} ${unit}`;
}

function table(rows: BenchRow[]): string {
  if (!rows.length) return '(no rows)';
  const header = ['name', 'value', 'baseline name', 'baseline', 'ratio', 'target'];
  const lines = rows.map((row) => [
    row.name,
    figure(row.value, row.unit),
    row.baselineName,
    figure(row.baseline, row.unit),
    `${ratio(row).toFixed(2)}×`,
    row.target ?? '',
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...lines.map((line) => line[c]!.length)));
  const numeric = new Set([1, 3, 4]);
  const format = (cells: string[]) =>
    cells.map((cell, c) => (numeric.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join(' | ').trimEnd();
  return [format(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...lines.map(format)].join('\n');
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Every benchmark closes what it opened; should a handle linger anyway, say which and leave.
setTimeout(() => {
  process.stderr.write(`still running ${EXIT_GRACE_MS / 1000}s after the results; open handles: ${process.getActiveResourcesInfo().join(', ')}\n`);
  process.exit(code);
}, EXIT_GRACE_MS).unref();
