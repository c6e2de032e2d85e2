import { InputError } from '../../core/errors.js';
import { problemAt, type X12Problem } from './problems.js';
import type { Segment } from './tokenizer.js';

/** The segment (and, when the guide says so, the qualifier) that opens a loop. */
export interface LoopTrigger {
  segment: string;
  /** 1-based element holding the qualifier; default 1 (`NM101`). `HL03` is 3. */
  element?: number;
  /** Qualifier values that open this loop; absent: any. */
  values?: readonly string[];
}

export interface LoopSpec {
  /** TR3 loop id, e.g. `2100`, `2010BA`. */
  id: string;
  name: string;
  trigger: LoopTrigger;
  /** Segments the loop may hold after its trigger. */
  segments: readonly string[];
  loops?: readonly LoopSpec[];
}

/** A transaction set's structure in an implementation guide (TR3), small enough to read at a glance. */
export interface TransactionSpec {
  /** Short name, e.g. `837P`. */
  name: string;
  /** ST01. */
  transactionSet: string;
  /** Implementation guide prefix matched against ST03 / GS08, e.g. `005010X222`. */
  implementation: string;
  /** Segments before the first loop (ST included). */
  header: readonly string[];
  /** Segments after the loops (SE included). */
  trailer: readonly string[];
  loops: readonly LoopSpec[];
}

/** One occurrence of a loop: its own segments (the trigger first) and its nested loops in order. */
export interface Loop {
  id: string;
  name: string;
  segments: Segment[];
  loops: Loop[];
}

export interface LoopTree {
  spec: TransactionSpec;
  /** The transaction set itself: header and trailer segments, and the top-level loops. */
  root: Loop;
  problems: X12Problem[];
}

interface CompiledLoop {
  spec: LoopSpec | undefined;
  allowed: ReadonlySet<string>;
  children: readonly CompiledLoop[];
  /** For children: trigger segment id, qualifier position (0-based), accepted qualifiers. */
  triggerId: string;
  triggerElement: number;
  triggerValues: ReadonlySet<string> | undefined;
}

interface CompiledSpec {
  root: CompiledLoop;
  header: ReadonlySet<string>;
  trailer: ReadonlySet<string>;
  known: ReadonlySet<string>;
}

const compiled = new WeakMap<TransactionSpec, CompiledSpec>();

function compile(spec: TransactionSpec): CompiledSpec {
  const cached = compiled.get(spec);
  if (cached) return cached;
  const known = new Set<string>([...spec.header, ...spec.trailer]);
  const compileLoop = (loop: LoopSpec): CompiledLoop => {
    known.add(loop.trigger.segment);
    for (const id of loop.segments) known.add(id);
    return {
      spec: loop,
      allowed: new Set(loop.segments),
      children: (loop.loops ?? []).map(compileLoop),
      triggerId: loop.trigger.segment,
      triggerElement: (loop.trigger.element ?? 1) - 1,
      triggerValues: loop.trigger.values ? new Set(loop.trigger.values) : undefined,
    };
  };
  const header = new Set(spec.header);
  const trailer = new Set(spec.trailer);
  const root: CompiledLoop = {
    spec: undefined,
    allowed: new Set([...header, ...trailer]),
    children: spec.loops.map(compileLoop),
    triggerId: 'ST',
    triggerElement: 0,
    triggerValues: undefined,
  };
  const result = { root, header, trailer, known };
  compiled.set(spec, result);
  return result;
}

interface Frame {
  node: CompiledLoop;
  loop: Loop;
}

/**
 * Groups one transaction set's segments (ST to SE) into its TR3 loops. The usual X12 rule: a
 * segment belongs to the innermost open loop that either opens a child loop with it or allows it;
 * loops deeper than that one are closed. Segments that fit nowhere are reported and kept in the
 * innermost loop, so nothing is lost.
 */
export class LoopBuilder {
  private readonly compiled: CompiledSpec;
  private readonly root: Loop;
  private readonly stack: Frame[];
  private readonly problems: X12Problem[] = [];
  private inHeader = true;

  constructor(readonly spec: TransactionSpec) {
    this.compiled = compile(spec);
    this.root = { id: 'ST', name: `${spec.name} transaction set`, segments: [], loops: [] };
    this.stack = [{ node: this.compiled.root, loop: this.root }];
  }

  push(segment: Segment): void {
    const stack = this.stack;
    for (let level = stack.length - 1; level >= 0; level--) {
      const frame = stack[level]!;
      const child = matchChild(frame.node, segment);
      if (child !== undefined) {
        stack.length = level + 1;
        const loop: Loop = { id: child.spec!.id, name: child.spec!.name, segments: [segment], loops: [] };
        frame.loop.loops.push(loop);
        stack.push({ node: child, loop });
        this.inHeader = false;
        return;
      }
      if (level > 0 ? frame.node.allowed.has(segment.id) : this.rootAllows(segment.id)) {
        stack.length = level + 1;
        frame.loop.segments.push(segment);
        return;
      }
    }
    const innermost = stack[stack.length - 1]!;
    if (this.compiled.known.has(segment.id)) {
      const where = innermost.node.spec ? `inside loop ${innermost.node.spec.id}` : 'at this point of the transaction set';
      this.problems.push(problemAt(segment, 'segment-out-of-place', `${segment.id} is not expected ${where} of the ${this.spec.name}`));
    } else {
      this.problems.push(problemAt(segment, 'unknown-segment', `${segment.id} is not a segment of the ${this.spec.name} (${this.spec.implementation})`));
    }
    const problem = this.problems[this.problems.length - 1]!;
    if (innermost.node.spec) problem.loopId = innermost.node.spec.id;
    innermost.loop.segments.push(segment);
  }

  finish(): LoopTree {
    return { spec: this.spec, root: this.root, problems: this.problems };
  }

  private rootAllows(id: string): boolean {
    if (this.compiled.trailer.has(id)) {
      this.inHeader = false;
      return true;
    }
    return this.inHeader && this.compiled.header.has(id);
  }
}

function matchChild(node: CompiledLoop, segment: Segment): CompiledLoop | undefined {
  for (const child of node.children) {
    if (child.triggerId !== segment.id) continue;
    if (child.triggerValues === undefined || child.triggerValues.has(segment.elements[child.triggerElement] ?? '')) return child;
  }
  return undefined;
}

/** Groups a transaction set (ST … SE) into loops (see `specForSet` to pick the spec). */
export function buildLoops(segments: readonly Segment[], spec: TransactionSpec): LoopTree {
  const builder = new LoopBuilder(spec);
  for (const segment of segments) builder.push(segment);
  return builder.finish();
}

/** Every loop of a tree, depth first, with its path of loop ids (for finding `2100` under `2000`). */
export function* walkLoops(loop: Loop, path: string[] = []): Generator<{ loop: Loop; path: string[] }> {
  for (const child of loop.loops) {
    const childPath = [...path, child.id];
    yield { loop: child, path: childPath };
    yield* walkLoops(child, childPath);
  }
}

/** One transaction set as read from a file, with the envelope segments it sits in. */
export interface TransactionSetSegments {
  isa: Segment | undefined;
  gs: Segment | undefined;
  /** ST to SE inclusive (to the last segment seen when SE is missing). */
  segments: Segment[];
}

/**
 * Collects the segments of each transaction set in turn, holding one set at a time: a 100 MB file of
 * many sets never sits in memory whole. Synchronous, so a caller reading batches
 * (`readSegmentBatches`) pays no promise per segment.
 */
export class TransactionSetCollector {
  private isa: Segment | undefined;
  private gs: Segment | undefined;
  private current: Segment[] | undefined;

  /** Returns a transaction set when `segment` completes one (or shows the open one cut short). */
  push(segment: Segment): TransactionSetSegments | undefined {
    const id = segment.id;
    let done: TransactionSetSegments | undefined;
    if (this.current !== undefined) {
      if (id === 'SE') {
        this.current.push(segment);
        done = { isa: this.isa, gs: this.gs, segments: this.current };
        this.current = undefined;
        return done;
      }
      if (id !== 'GE' && id !== 'IEA' && id !== 'GS' && id !== 'ISA' && id !== 'ST') {
        this.current.push(segment);
        return undefined;
      }
      done = { isa: this.isa, gs: this.gs, segments: this.current };
      this.current = undefined;
    }
    if (id === 'ISA') {
      this.isa = segment;
      this.gs = undefined;
    } else if (id === 'GS') this.gs = segment;
    else if (id === 'ST') this.current = [segment];
    return done;
  }

  /** The set still open at the end of the input (its SE missing), if any. */
  finish(): TransactionSetSegments | undefined {
    const current = this.current;
    this.current = undefined;
    return current === undefined ? undefined : { isa: this.isa, gs: this.gs, segments: current };
  }
}

/** Yields each transaction set of a stream of segments in turn (see `TransactionSetCollector`). */
export async function* transactionSets(source: AsyncIterable<Segment> | Iterable<Segment>): AsyncGenerator<TransactionSetSegments> {
  const collector = new TransactionSetCollector();
  for await (const segment of source) {
    const set = collector.push(segment);
    if (set !== undefined) yield set;
  }
  const last = collector.finish();
  if (last !== undefined) yield last;
}

/** Picks the spec for a transaction set from its ST (ST01, ST03) and, failing ST03, GS08. */
export function chooseSpec(specs: readonly TransactionSpec[], st: Segment, gs?: Segment): TransactionSpec {
  const id = st.elements[0] ?? '';
  const version = st.elements[2] || gs?.elements[7] || '';
  const candidates = specs.filter((spec) => spec.transactionSet === id);
  const match = candidates.find((spec) => version.startsWith(spec.implementation)) ?? candidates[0];
  if (match === undefined) {
    throw new InputError(`segment ${st.index} (ST) at byte ${st.offset}: transaction set ${id.slice(0, 3)} is not supported`, [
      { path: `/segments/${st.index}/ST01`, message: 'unsupported transaction set' },
    ]);
  }
  return match;
}
