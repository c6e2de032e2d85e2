import { InputError } from '../../core/errors.js';

/** What went wrong, in terms a 999 acknowledgment can express. */
export type ProblemCode =
  | 'interchange-control-mismatch'
  | 'interchange-count-mismatch'
  | 'interchange-trailer-missing'
  | 'group-control-mismatch'
  | 'group-count-mismatch'
  | 'group-trailer-missing'
  | 'set-control-mismatch'
  | 'set-count-mismatch'
  | 'set-trailer-missing'
  | 'unexpected-segment'
  | 'unknown-segment'
  | 'segment-out-of-place'
  | 'unsupported-transaction-set'
  | 'invalid-element';

/** One problem found in a file. The message names segment number, id, element and byte offset. */
export interface X12Problem {
  /** 1-based segment number in the file. */
  segmentIndex: number;
  segmentId: string;
  /** 1-based element position (`SE01` → 1), when the problem is about one element. */
  elementPosition?: number;
  /** Byte offset of the segment in the file. */
  offset: number;
  message: string;
  code: ProblemCode;
  /** The TR3 loop the segment sits in, for problems found by the loop builder (999 IK303). */
  loopId?: string;
}

interface Located {
  index: number;
  id: string;
  offset: number;
}

/** Builds a problem whose message reads `segment 14 (SE) at byte 812: …`. Never put element values other than control numbers and counts in `text`. */
export function problemAt(segment: Located, code: ProblemCode, text: string, elementPosition?: number): X12Problem {
  const problem: X12Problem = {
    segmentIndex: segment.index,
    segmentId: segment.id,
    offset: segment.offset,
    message: `segment ${segment.index} (${segment.id}) at byte ${segment.offset}: ${text}`,
    code,
  };
  if (elementPosition !== undefined) problem.elementPosition = elementPosition;
  return problem;
}

/** `SE`, 1 → `SE01`. */
export function elementName(segmentId: string, position: number): string {
  return `${segmentId}${String(position).padStart(2, '0')}`;
}

/** One InputError listing every problem, for callers that reject a file outright. */
export function problemsError(problems: X12Problem[], what = 'X12 file'): InputError {
  const first = problems[0]?.message ?? 'no details';
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return new InputError(
    `${what} has ${problems.length} problem(s): ${first}${more}`,
    problems.map((p) => ({
      path: `/segments/${p.segmentIndex}${p.elementPosition === undefined ? '' : `/${elementName(p.segmentId, p.elementPosition)}`}`,
      message: p.message,
    })),
  );
}
