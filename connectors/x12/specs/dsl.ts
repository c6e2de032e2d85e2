import type { LoopSpec, LoopTrigger } from '../loops.js';

/** A loop opened by `segment`, optionally only with one of `values` in its first element. */
export function on(segment: string, ...values: string[]): LoopTrigger {
  return values.length ? { segment, values } : { segment };
}

/** A hierarchical loop: HL with the level code (HL03) given. */
export function hl(...levelCodes: string[]): LoopTrigger {
  return { segment: 'HL', element: 3, values: levelCodes };
}

/** `segments` is a space-separated list, the way the TR3's loop tables read. */
export function loop(id: string, name: string, trigger: LoopTrigger, segments: string, loops: LoopSpec[] = []): LoopSpec {
  return { id, name, trigger, segments: segments.split(' ').filter(Boolean), loops };
}
