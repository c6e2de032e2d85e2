/**
 * The state of mapping one resource: the context, its references, and what went wrong, split into
 * reasons (the resource cannot become a record) and problems (something was left out).
 */
import type { Element } from './element.js';
import type { KnownRecords } from './known-records.js';
import { References, type BundleIndex, type Followed } from './references.js';
import type { MappingContext, MappedEntity } from './types.js';

export class Scope {
  readonly refs: References;
  /** Why the resource cannot be mapped; any reason rejects it. */
  readonly reasons: string[] = [];

  constructor(
    readonly resource: Element,
    readonly context: MappingContext,
    readonly entity: MappedEntity,
    bundle?: BundleIndex,
    /** Records already in the store, read when a reference's target is not in hand. */
    readonly known?: KnownRecords,
  ) {
    this.refs = new References(context, resource, bundle);
  }

  get problems(): string[] {
    return this.resource.problems;
  }

  /** Records that a required canonical field has no source, naming the FHIR element it comes from. */
  missing(path: string, detail?: string): void {
    this.reasons.push(`${path}: required by the canonical ${this.entity}${detail ? ` (${detail})` : ''}`);
  }

  reject(path: string, why: string): void {
    this.reasons.push(`${path}: ${why}`);
  }

  follow(el: Element | undefined, targets: readonly string[]): Followed {
    return this.refs.follow(el, targets);
  }
}
