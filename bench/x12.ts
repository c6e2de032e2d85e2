/**
 * X12 tokenizing throughput and peak memory: our streaming tokenizer against node-x12 and
 * x12-parser (both from npm) on the same generated 835 and 837P files (1 claim, 5,000 claims,
 * about 100 MB). Each measurement runs in its own child process, so one parser's heap never
 * inflates another's peak RSS.
 *
 * The large file streams from disk to a parser whose code has first been warmed on the
 * 5,000-claim file, as in a hub that has read files before; one more row maps the 835 as the first
 * file of a fresh process, to show what that warm-up is worth. The large file is also tokenized
 * from memory, in the same 64 KiB chunks: the tokenizer's own throughput, without the disk stream,
 * whose cost alone has a row of its own.
 *
 *   npm run bench -- x12                 (BENCH_X12_MB=100 sets the large file's size,
 *                                         BENCH_X12_RUNS=3 the rounds each figure comes from)
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { syntheticFile } from '../connectors/x12/fixtures/synthetic.js';
import { measureInChild } from './child.js';
import type { BenchRow } from './types.js';

type Parser = 'ours' | 'ours-in-memory' | 'ours-structure' | 'ours-canonical' | 'node-x12' | 'node-x12-in-memory' | 'x12-parser' | 'fs-stream';

/** How a child reads its file: held in memory or streamed from disk, and on what its parser warms up first. */
interface ChildOptions {
  /** Held in memory and handed over in 64 KiB chunks (files under IN_MEMORY_BELOW always are). */
  fromMemory?: boolean;
  /** Warm the parser's code on this (small) file first, rather than on the file itself. */
  warmUpOn?: string;
  /** No warm-up at all: the file is the first the process reads. */
  cold?: boolean;
}

interface Measurement {
  segments: number;
  megabytesPerSecond: number;
  filesPerSecond: number;
  peakRssMB: number;
  /** RSS with the parser's modules loaded, before the first byte is read: what the peak rose from. */
  loadedRssMB: number;
}

const CHILD_FLAG = '--x12-bench-child';
/** Each file is read again and again for at least this long (a large one, by a slow parser, once). */
const MIN_SECONDS = 1;
/**
 * Smaller files are read for this long before the clock starts, by every parser alike: a one-claim
 * file takes microseconds, so code still running unoptimised would otherwise be a visible share of
 * its figure.
 */
const WARM_UP_SECONDS = 0.3;
/**
 * A large file's parser warms up on the 5,000-claim file for this long first: in a fresh process
 * the first few payments of an 835 run in code not yet optimised (about 0.2 s for the first of
 * 5,000 claims, against 0.025 s once warm), a cost a running hub pays once, not per file.
 */
const LARGE_WARM_UP_SECONDS = 1;
const CHILD_TIMEOUT_MS = 10 * 60_000;
const IN_MEMORY_BELOW = 10 * 1024 * 1024;

export default async function x12Bench(): Promise<BenchRow[]> {
  const largeMB = Number(process.env.BENCH_X12_MB ?? 100);
  const dir = await mkdtemp(join(tmpdir(), 'x12-bench-'));
  try {
    const kinds: Kind[] = [];
    for (const kind of ['835', '837'] as const) {
      kinds.push({
        kind,
        files: [
          { label: '1 claim', path: await writeFile(join(dir, `${kind}-1.edi`), kind, 1) },
          { label: '5,000 claims', path: await writeFile(join(dir, `${kind}-5000.edi`), kind, 5000) },
          { label: `~${largeMB} MB`, path: await writeFile(join(dir, `${kind}-large.edi`), kind, Number.POSITIVE_INFINITY, largeMB * 1e6) },
        ],
      });
    }
    // The rows are described once to learn what they measure, then again from the runs' results.
    const plan = new MeasurementPlan();
    await describeRows(kinds, plan.planned);
    await plan.run();
    return await describeRows(kinds, plan.measured);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface Kind {
  kind: '835' | '837';
  /** 1 claim, 5,000 claims, the large file: in that order. */
  files: { label: string; path: string }[];
}

type Measure = (parser: Parser, file: string, options?: ChildOptions) => Promise<Measurement>;

/** The bench's rows, each measurement asked of `measure`. */
async function describeRows(kinds: Kind[], measure: Measure): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const { kind, files } of kinds) {
    const mid = files[1]!.path;
    for (const file of files) {
      const size = (await stat(file.path)).size;
      const name = `${kind} ${file.label} (${(size / 1e6).toFixed(1)} MB)`;
      const large = file.label.startsWith('~');
      const streamed: ChildOptions = large ? { warmUpOn: mid } : {};
      const ours = await measure('ours', file.path, streamed);
      const nodeX12 = await measure('node-x12', file.path, streamed).catch(failed);
      const x12Parser = await measure('x12-parser', file.path, streamed).catch(failed);
      for (const [peer, result] of [['node-x12', nodeX12], ['x12-parser', x12Parser]] as const) {
        // x12-parser also emits the empty text after the last terminator as a segment.
        if (result.segments > 0 && Math.abs(result.segments - ours.segments) > (peer === 'x12-parser' ? 1 : 0)) {
          throw new Error(`${name}: ${peer} read ${result.segments} segments, ours ${ours.segments}`);
        }
      }
      // A one-claim file is about latency: files per second says more than a tiny MB/s.
      const oneClaim = file.label === '1 claim';
      const speed = (m: Measurement) => (oneClaim ? m.filesPerSecond : m.megabytesPerSecond);
      const unit = oneClaim ? 'files/s' : 'MB/s';
      if (oneClaim) {
        // The hub reads a file this small whole (one download, then tokenized in memory), and
        // node-x12 has an in-memory entry point too: each parser is timed on the bytes it is
        // given, without a stream around them. (x12-parser is a stream only: it has no such row.)
        const oursInMemory = await measure('ours-in-memory', file.path);
        const nodeX12InMemory = await measure('node-x12-in-memory', file.path).catch(failed);
        if (nodeX12InMemory.segments > 0 && nodeX12InMemory.segments !== oursInMemory.segments) {
          throw new Error(`${name}: node-x12 read ${nodeX12InMemory.segments} segments in memory, ours ${oursInMemory.segments}`);
        }
        rows.push({ name: `tokenize ${name} in memory`, unit, value: speed(oursInMemory), baselineName: 'node-x12 parse()', baseline: speed(nodeX12InMemory), target: '≥ 10× node-x12' });
      }
      const how = oneClaim ? ' streamed' : large ? ' streamed from disk' : '';
      rows.push(
        { name: `tokenize ${name}${how}`, unit, value: speed(ours), baselineName: 'node-x12', baseline: speed(nodeX12), target: large || oneClaim ? undefined : '≥ 10× node-x12' },
        { name: `tokenize ${name}${how}`, unit, value: speed(ours), baselineName: 'x12-parser', baseline: speed(x12Parser) },
      );
      if (large) {
        // What the disk stream alone delivers: no parser reading it can be faster.
        const stream = await measure('fs-stream', file.path);
        rows.push({ name: `tokenize ${name}${how}`, unit, value: speed(ours), baselineName: 'the 64 KiB fs stream alone, no parser', baseline: speed(stream) });
        // The tokenizer's own throughput: the same 64 KiB chunks, from memory rather than disk.
        const fromMemory: ChildOptions = { fromMemory: true, warmUpOn: mid };
        const oursFromMemory = await measure('ours', file.path, fromMemory);
        const nodeX12FromMemory = await measure('node-x12', file.path, fromMemory).catch(failed);
        if (nodeX12FromMemory.segments > 0 && nodeX12FromMemory.segments !== oursFromMemory.segments) {
          throw new Error(`${name}: node-x12 read ${nodeX12FromMemory.segments} segments from memory, ours ${oursFromMemory.segments}`);
        }
        rows.push({ name: `tokenize ${name} from memory`, unit, value: speed(oursFromMemory), baselineName: 'node-x12', baseline: speed(nodeX12FromMemory), target: '≥ 10× node-x12' });
      }
      rows.push(
        { name: `peak RSS ${name}`, unit: 'MB', value: ours.peakRssMB, baselineName: 'node-x12', baseline: nodeX12.peakRssMB, target: large ? '< 150 MB' : undefined },
        { name: `peak RSS ${name}`, unit: 'MB', value: ours.peakRssMB, baselineName: 'x12-parser', baseline: x12Parser.peakRssMB },
      );
      if (kind === '835') {
        const structure = await measure('ours-structure', file.path, streamed);
        rows.push({
          name: `tokenize+envelope+loops ${name}`,
          unit,
          value: speed(structure),
          baselineName: 'our tokenizer alone',
          baseline: speed(ours),
        });
        const canonical = await measure('ours-canonical', file.path, streamed);
        rows.push({
          name: `835 → canonical Remittance, validated ${name}${how}`,
          unit,
          value: speed(canonical),
          baselineName: 'node-x12 tokenizing only',
          baseline: speed(nodeX12),
          target: unit === 'MB/s' ? '≥ 50 MB/s' : undefined,
        });
        rows.push({ name: `peak RSS 835 → canonical ${name}`, unit: 'MB', value: canonical.peakRssMB, baselineName: 'node-x12 tokenizing only', baseline: nodeX12.peakRssMB, target: large ? '< 150 MB' : undefined });
        if (large) {
          const cold = await measure('ours-canonical', file.path, { cold: true });
          rows.push({
            name: `835 → canonical ${name}${how}, as the first file of a fresh process`,
            unit,
            value: speed(cold),
            baselineName: 'the same, code warmed on the 5,000-claim file',
            baseline: speed(canonical),
          });
          rows.push({ name: `peak RSS 835 → canonical ${name}, as the first file of a fresh process`, unit: 'MB', value: cold.peakRssMB, baselineName: 'the same, warmed', baseline: canonical.peakRssMB, target: '< 150 MB' });
          // How much of that peak the file itself costs: the process had this much before its
          // first byte (node, the modules, the model's schemas and validator).
          rows.push({
            name: `peak RSS 835 → canonical ${name}, above the loaded process (${canonical.loadedRssMB.toFixed(0)} MB)`,
            unit: 'MB',
            value: canonical.peakRssMB - canonical.loadedRssMB,
            baselineName: `node-x12 tokenizing only, above its ${nodeX12.loadedRssMB.toFixed(0)} MB`,
            baseline: nodeX12.peakRssMB - nodeX12.loadedRssMB,
          });
        }
      }
    }
  }
  return rows;
}

/** A peer that crashed or timed out still leaves a row, with a zero baseline. */
function failed(error: unknown): Measurement {
  process.stderr.write(`  x12: a baseline failed: ${error instanceof Error ? error.message : String(error)}\n`);
  return { segments: 0, megabytesPerSecond: 0, filesPerSecond: 0, peakRssMB: 0, loadedRssMB: 0 };
}

async function writeFile(path: string, kind: '835' | '837', claims: number, minBytes = 0): Promise<string> {
  const out = createWriteStream(path);
  let written = 0;
  for (const interchange of syntheticFile(kind, claims)) {
    if (!out.write(interchange)) await once(out, 'drain');
    written += interchange.length;
    if (minBytes > 0 && written >= minBytes) break;
  }
  out.end();
  await once(out, 'finish');
  return path;
}

/**
 * Each parser reads each file in this many runs (rounds of the whole plan), each in a fresh
 * process, for every parser alike. Its speed is that of its fastest run: on this shared machine
 * the same code reads anything from full speed to half of it for a while, and other work only ever
 * slows a run down, never speeds it up, so the fastest run is the closest to what the code costs.
 * Its peak RSS is that of its hungriest run: a memory figure is a ceiling.
 */
const RUNS = Math.max(1, Number(process.env.BENCH_X12_RUNS ?? 3));

/**
 * The measurements the rows ask for, run in rounds: each round runs every measurement once, so a
 * slow spell of the machine (they last seconds to a minute here) falls on one run of several
 * parsers rather than on every run of one of them.
 */
class MeasurementPlan {
  readonly #jobs = new Map<string, { parser: Parser; file: string; options: ChildOptions; runs: Measurement[]; error?: unknown }>();

  /** Records a measurement to run; answers with zeros, which no check or row of the first description uses. */
  readonly planned: Measure = async (parser, file, options = {}) => {
    const key = JSON.stringify([parser, file, options]);
    if (!this.#jobs.has(key)) this.#jobs.set(key, { parser, file, options, runs: [] });
    return { segments: 0, megabytesPerSecond: 0, filesPerSecond: 0, peakRssMB: 0, loadedRssMB: 0 };
  };

  /** A measurement's result over its runs; rejects as its child did when no run succeeded. */
  readonly measured: Measure = async (parser, file, options = {}) => {
    const job = this.#jobs.get(JSON.stringify([parser, file, options]));
    if (job === undefined) throw new Error(`x12 bench: ${parser} on ${basename(file)} was not planned`);
    if (job.runs.length === 0) throw job.error;
    return summary(job.runs);
  };

  async run(): Promise<void> {
    const jobs = [...this.#jobs.values()];
    for (let round = 1; round <= RUNS; round++) {
      const started = performance.now();
      for (const job of jobs) {
        try {
          job.runs.push(await measureInChild<Measurement>(import.meta.url, [CHILD_FLAG, job.parser, job.file, JSON.stringify(job.options)], { timeoutMs: CHILD_TIMEOUT_MS, label: job.parser }));
        } catch (error) {
          job.error = error;
          process.stderr.write(`    ${job.parser} on ${basename(job.file)} failed in round ${round}: ${error instanceof Error ? error.message : String(error)}\n`);
        }
      }
      process.stdout.write(`    round ${round} of ${RUNS}: ${jobs.length} measurements in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
    }
    // Every run, not only the one the table keeps, so that how far apart they were is on record.
    for (const job of jobs) {
      const how = [job.options.fromMemory ? 'from memory' : '', job.options.cold ? 'cold' : job.options.warmUpOn ? 'warmed' : ''].filter(Boolean).join(', ');
      // One-claim files (thousands a second) are counted in files, as in their rows.
      const speeds = job.runs.map((m) => (m.filesPerSecond >= 1000 ? `${Math.round(m.filesPerSecond)} files/s` : `${m.megabytesPerSecond.toFixed(1)} MB/s`));
      process.stdout.write(`    ${job.parser} ${basename(job.file)}${how ? ` (${how})` : ''}: ${speeds.join(', ')}; peak RSS ${job.runs.map((m) => m.peakRssMB.toFixed(0)).join(', ')} MB\n`);
    }
  }
}

/** A speed is its fastest run's, a peak RSS its hungriest run's (see RUNS). */
function summary(runs: Measurement[]): Measurement {
  const fastest = runs.reduce((best, run) => (run.megabytesPerSecond > best.megabytesPerSecond ? run : best));
  const hungriest = runs.reduce((most, run) => (run.peakRssMB > most.peakRssMB ? run : most));
  return {
    segments: runs[0]!.segments,
    megabytesPerSecond: fastest.megabytesPerSecond,
    filesPerSecond: fastest.filesPerSecond,
    peakRssMB: hungriest.peakRssMB,
    loadedRssMB: hungriest.loadedRssMB,
  };
}

// ---- child process: one parser, one file ----

async function runChild(parser: Parser, file: string, options: ChildOptions): Promise<void> {
  const size = (await stat(file)).size;
  if (size < IN_MEMORY_BELOW || options.fromMemory) inMemory.set(file, await readFile(file));
  const warmUpFile = options.cold ? undefined : (options.warmUpOn ?? (inMemory.has(file) ? file : undefined));
  if (warmUpFile !== undefined && !inMemory.has(warmUpFile)) inMemory.set(warmUpFile, await readFile(warmUpFile));
  // Modules are loaded before the clock starts, for every parser alike: a dynamic import() (under
  // tsx, a round trip to the loader thread) would otherwise be most of what a one-claim file measures.
  const read = await readers[parser]();
  if (parser === 'ours-canonical') {
    // Compiling the canonical schemas happens once per process, at start-up: keep it out of the timing.
    const { validateEntity } = await import('../core/model/index.js');
    const { exampleRecords } = await import('../core/model/examples.js');
    validateEntity('Remittance', exampleRecords.Remittance);
  }
  // In the same unit as maxRSS below (MiB).
  const loadedRssMB = process.memoryUsage().rss / 2 ** 20;
  if (warmUpFile !== undefined) {
    const seconds = warmUpFile === file ? WARM_UP_SECONDS : LARGE_WARM_UP_SECONDS;
    const warming = performance.now();
    do await read(warmUpFile);
    while ((performance.now() - warming) / 1000 < seconds);
  }
  let runs = 0;
  let segments = 0;
  const started = performance.now();
  do {
    // An in-memory parse answers at once: awaiting it would time a promise per run as well.
    const result = read(file);
    segments = typeof result === 'number' ? result : await result;
    runs++;
  } while ((performance.now() - started) / 1000 < MIN_SECONDS);
  const seconds = (performance.now() - started) / 1000;
  const measurement: Measurement = {
    segments,
    megabytesPerSecond: (size * runs) / 1e6 / seconds,
    filesPerSecond: runs / seconds,
    // maxRSS is in kilobytes.
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    loadedRssMB,
  };
  process.stdout.write(`${JSON.stringify(measurement)}\n`);
}

// The fs default, for every parser alike.
const HIGH_WATER_MARK = 64 * 1024;

/** Files the child holds in memory, by path. */
const inMemory = new Map<string, Buffer>();

/**
 * Small files are read from memory, so that opening a file a thousand times is not what gets
 * measured; large ones stream from disk, as they would in production, so memory stays honest
 * (unless the child was asked to hold one in memory, to time the parser without the disk).
 */
function source(file: string): Readable {
  const bytes = inMemory.get(file);
  if (bytes === undefined) return createReadStream(file, { highWaterMark: HIGH_WATER_MARK });
  return Readable.from(pieces(bytes), { objectMode: false });
}

function* pieces(bytes: Buffer): Generator<Buffer> {
  for (let start = 0; start < bytes.length; start += HIGH_WATER_MARK) yield bytes.subarray(start, start + HIGH_WATER_MARK);
}

/** Each parser: its modules loaded once, then a function reading a file and counting what it read. */
const readers: Record<Parser, () => Promise<(file: string) => number | Promise<number>>> = {
  async ours() {
    const { readSegmentBatches } = await import('../connectors/x12/tokenizer.js');
    return async (file) => {
      let count = 0;
      for await (const batch of readSegmentBatches(source(file))) count += batch.length;
      return count;
    };
  },
  async 'ours-in-memory'() {
    const { parseSegments } = await import('../connectors/x12/tokenizer.js');
    return (file) => parseSegments(held(file)).length;
  },
  async 'ours-structure'() {
    const { readSegmentBatches } = await import('../connectors/x12/tokenizer.js');
    const { EnvelopeValidator } = await import('../connectors/x12/envelope.js');
    const { LoopBuilder, TransactionSetCollector, chooseSpec } = await import('../connectors/x12/loops.js');
    const { TRANSACTION_SPECS } = await import('../connectors/x12/specs/index.js');
    return async (file) => {
      const validator = new EnvelopeValidator();
      const collector = new TransactionSetCollector();
      let problems = 0;
      for await (const batch of readSegmentBatches(source(file))) {
        for (const segment of batch) {
          validator.push(segment);
          const set = collector.push(segment);
          if (set === undefined) continue;
          const builder = new LoopBuilder(chooseSpec(TRANSACTION_SPECS, set.segments[0]!, set.gs));
          for (const member of set.segments) builder.push(member);
          problems += builder.finish().problems.length;
        }
      }
      const report = validator.finish();
      if (problems + report.problems.length > 0) throw new Error(`the generated file has ${problems + report.problems.length} problems`);
      return report.segmentCount;
    };
  },
  async 'ours-canonical'() {
    // The clearinghouse plugin's path: segments stream into the 835 builder, one payment at a time.
    const { readSegmentBatches } = await import('../connectors/x12/tokenizer.js');
    const { Remittance835Builder } = await import('../plugins/clearinghouse/remittance-835.js');
    const { validateEntity } = await import('../core/model/index.js');
    return async (file) => {
      let builder: InstanceType<typeof Remittance835Builder> | undefined;
      let claims = 0;
      for await (const batch of readSegmentBatches(source(file))) {
        for (const segment of batch) {
          if (segment.id === 'ST') {
            builder = new Remittance835Builder();
            continue;
          }
          if (!builder) continue;
          if (segment.id !== 'SE') {
            builder.push(segment);
            continue;
          }
          const { remittance, problems } = builder.finish();
          builder = undefined;
          if (!remittance || problems.length) throw new Error(`the generated 835 did not map: ${problems.slice(0, 3).join('; ')}`);
          const issues = validateEntity('Remittance', remittance);
          if (issues.length) throw new Error(`the mapped Remittance is invalid: ${issues.slice(0, 3).map((i) => `${i.path} ${i.message}`).join('; ')}`);
          claims += remittance.claimPayments.length;
        }
      }
      return claims;
    };
  },
  async 'node-x12'() {
    const { X12Parser } = (await import('node-x12')) as unknown as { X12Parser: new () => NodeJS.ReadWriteStream };
    return (file) => countData(source(file).pipe(new X12Parser()));
  },
  async 'node-x12-in-memory'() {
    const { X12Parser } = (await import('node-x12')) as unknown as { X12Parser: new () => { parse(edi: string): NodeX12Interchange } };
    return (file) => {
      const interchange = new X12Parser().parse(held(file).toString('utf8'));
      // Its envelope segments are kept apart from the transaction sets' own.
      let count = 2;
      for (const group of interchange.functionalGroups) {
        count += 2;
        for (const set of group.transactions) count += 2 + set.segments.length;
      }
      return count;
    };
  },
  async 'fs-stream'() {
    return async (file) => {
      for await (const chunk of source(file)) void chunk;
      return 0;
    };
  },
  async 'x12-parser'() {
    const { X12parser } = (await import('x12-parser')) as unknown as { X12parser: new () => NodeJS.ReadWriteStream };
    return (file) => countData(source(file).pipe(new X12parser()));
  },
};

interface NodeX12Interchange {
  functionalGroups: { transactions: { segments: unknown[] }[] }[];
}

/** The file held in memory: only small files are. */
function held(file: string): Buffer {
  const bytes = inMemory.get(file);
  if (bytes === undefined) throw new Error('an in-memory reader was given a file too large to hold');
  return bytes;
}

function countData(stream: NodeJS.ReadableStream): Promise<number> {
  return new Promise((resolve, reject) => {
    let count = 0;
    stream.on('data', () => count++);
    stream.on('end', () => resolve(count));
    stream.on('error', reject);
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === CHILD_FLAG) {
  await runChild(process.argv[3] as Parser, process.argv[4]!, JSON.parse(process.argv[5] ?? '{}') as ChildOptions);
}
