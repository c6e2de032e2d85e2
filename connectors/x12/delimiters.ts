import { InputError } from '../../core/errors.js';

/** The four separators an interchange declares in its ISA header. */
export interface Delimiters {
  element: string;
  component: string;
  /** ISA11 in 5010; absent in 4010 files, where ISA11 is the standards identifier `U`. */
  repetition: string | undefined;
  segment: string;
}

/** Where a header lies in its file, for error messages. */
interface HeaderPlace {
  segmentIndex?: number;
  offset?: number;
}

/** The ISA segment is fixed-width: 106 characters including its terminator. */
export const ISA_LENGTH = 106;

/** Where each ISA element separator sits in a well-formed header (ISA01 … ISA16). */
const SEPARATOR_POSITIONS = [3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103];

export const DEFAULT_DELIMITERS: Readonly<Delimiters> = Object.freeze({
  element: '*',
  component: ':',
  repetition: '^',
  segment: '~',
});

/**
 * Reads the delimiters from the start of an interchange. `header` must hold at least the 106
 * characters of the ISA segment (more is fine). Only the first three characters are ever quoted in
 * an error: the rest of a file may carry PHI.
 */
export function readDelimiters(header: string, where: HeaderPlace = {}): Delimiters {
  if (!header.startsWith('ISA')) {
    throw new InputError(`not an X12 interchange: it starts with ${JSON.stringify(header.slice(0, 3))}, not ISA`, [
      { path: '/', message: 'an X12 interchange starts with an ISA segment' },
    ]);
  }
  const element = header[3];
  if (element === undefined || isAlphanumeric(element) || element === ' ' || element === '\r' || element === '\n') {
    throw new InputError(`${headerName(where)}: no valid element separator after ISA`, [{ path: '/ISA', message: 'bad element separator' }]);
  }
  let componentAt: number;
  if (header.length >= ISA_LENGTH && separatorsInPlace(header, element)) {
    componentAt = 104;
  } else {
    // Some senders trim ISA06/ISA08; accept the header if it still has 16 elements.
    componentAt = -1;
    let position = 2;
    for (let count = 0; count < 16; count++) {
      position = header.indexOf(element, position + 1);
      if (position === -1 || position > 200) break;
      if (count === 15) componentAt = position + 1;
    }
    if (componentAt === -1 || componentAt + 1 >= header.length) {
      throw new InputError(`${headerName(where)}: the ISA header is not 106 characters with 16 elements (truncated or not X12)`, [
        { path: '/ISA', message: 'malformed ISA header' },
      ]);
    }
  }
  const component = header[componentAt]!;
  const segmentTerminator = header[componentAt + 1]!;
  const repetitionCandidate = header[82];
  const repetition =
    componentAt === 104 && repetitionCandidate !== undefined && !isAlphanumeric(repetitionCandidate) && repetitionCandidate !== ' '
      ? repetitionCandidate
      : undefined;
  const delimiters: Delimiters = { element, component, repetition, segment: segmentTerminator === '\r' ? '\n' : segmentTerminator };
  if (segmentTerminator === '\r') delimiters.segment = header[componentAt + 2] === '\n' ? '\n' : '\r';
  assertDistinct(delimiters, where);
  return delimiters;
}

/**
 * The header as an error names it, worked out only when something is wrong: a file of many
 * interchanges reads a header per interchange. (Not a closure made per call either: under the
 * TypeScript loader each function made at run time is also given its name, which costs more than
 * reading a well-formed header.)
 */
function headerName(where: HeaderPlace): string {
  const at = where.offset === undefined ? '' : ` at byte ${where.offset}`;
  return where.segmentIndex === undefined ? 'ISA' : `segment ${where.segmentIndex} (ISA)${at}`;
}

/** Options for writing: every delimiter must differ from the others and from letters and digits. */
export function checkDelimiters(delimiters: Delimiters, name = 'delimiters'): string[] {
  const problems: string[] = [];
  const entries = Object.entries(delimiters).filter((entry): entry is [string, string] => entry[1] !== undefined);
  for (const [key, value] of entries) {
    if (value.length !== 1) problems.push(`${name}.${key} must be one character`);
    else if (isAlphanumeric(value) || value === ' ') problems.push(`${name}.${key} must not be a letter, digit or space`);
  }
  const values = entries.map((entry) => entry[1]);
  if (new Set(values).size !== values.length) problems.push(`${name}: the element, component, repetition and segment delimiters must all differ`);
  return problems;
}

/** Every ISA separator where a fixed-width header has it (a loop: this runs once per interchange read). */
function separatorsInPlace(header: string, element: string): boolean {
  for (const position of SEPARATOR_POSITIONS) if (header[position] !== element) return false;
  return true;
}

function assertDistinct(delimiters: Delimiters, where: HeaderPlace): void {
  const { element, component, segment: terminator, repetition } = delimiters;
  const repeated =
    element === component ||
    element === terminator ||
    component === terminator ||
    (repetition !== undefined && (repetition === element || repetition === component || repetition === terminator));
  if (repeated) {
    throw new InputError(`${headerName(where)}: the element, component, repetition and segment delimiters are not distinct`, [
      { path: '/ISA', message: 'delimiters repeat' },
    ]);
  }
}

function isAlphanumeric(char: string): boolean {
  const code = char.charCodeAt(0);
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}
