/**
 * Source paths of the mapping language: `a.b`, `a[0]`, `a[-1]`, `a[*].b`, `a[key.sub=value]`,
 * `a["odd.key"]`, `$` (the record) and `@` (the current element). Parsed once, evaluated per row.
 */
import { isObject, isScalar } from './values.js';

type Step =
  | { kind: 'key'; name: string; start: number }
  | { kind: 'index'; index: number; start: number }
  | { kind: 'all'; start: number }
  | { kind: 'select'; key: ParsedPath; value: string; start: number };

export interface ParsedPath {
  text: string;
  /** `$`: from the record; `@`: the current element (inside `each`, else the record). */
  anchor: 'row' | 'record' | 'self';
  steps: Step[];
}

export class PathSyntaxError extends Error {
  override readonly name = 'PathSyntaxError';
}

/** Parses a source path; throws PathSyntaxError with the position of the mistake. */
export function parsePath(text: string): ParsedPath {
  if (typeof text !== 'string' || text.trim() === '') throw new PathSyntaxError('path is empty');
  const parser = new PathParser(text);
  const parsed = parser.parseTop();
  return parsed;
}

class PathParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parseTop(): ParsedPath {
    let anchor: ParsedPath['anchor'] = 'row';
    const first = this.text[0];
    if (first === '$' || first === '@') {
      anchor = first === '$' ? 'record' : 'self';
      this.pos = 1;
      if (this.pos === this.text.length) return { text: this.text, anchor, steps: [] };
      const next = this.text[this.pos];
      if (next === '.') this.pos++;
      else if (next !== '[') this.fail(`"${first}" must be followed by "." or "["`);
    }
    const steps = this.parseSteps(false);
    if (this.pos < this.text.length) this.fail(`unexpected "${this.text[this.pos]}"`);
    return { text: this.text, anchor, steps };
  }

  /** In a selector key (`[key.sub=value]`) names also stop at `=` and `]`. */
  private parseSteps(inKey: boolean): Step[] {
    const steps: Step[] = [];
    let expectName = this.text[this.pos] !== '[';
    for (;;) {
      if (expectName) steps.push(this.parseName(inKey));
      const char = this.text[this.pos];
      if (char === '[') {
        steps.push(this.parseBracket());
        expectName = false;
      } else if (char === '.') {
        this.pos++;
        expectName = true;
      } else {
        return steps;
      }
    }
  }

  private parseName(inKey: boolean): Step {
    const start = this.pos;
    while (this.pos < this.text.length) {
      const char = this.text[this.pos];
      if (char === '.' || char === '[') break;
      if (inKey && (char === '=' || char === ']')) break;
      if (!inKey && char === ']') this.fail('"]" without a matching "["');
      this.pos++;
    }
    if (this.pos === start) this.fail('a name is missing');
    return { kind: 'key', name: this.text.slice(start, this.pos), start };
  }

  private parseBracket(): Step {
    const start = this.pos;
    this.pos++; // "["
    const rest = this.text.slice(this.pos);
    if (!rest.includes(']')) this.fail(`"[" at position ${start + 1} is never closed`, false);
    if (rest.startsWith(']')) this.fail('"[]" needs an index, "*" or key=value');
    if (rest.startsWith('*]')) {
      this.pos += 2;
      return { kind: 'all', start };
    }
    const index = /^(-?\d+)\]/.exec(rest);
    if (index) {
      this.pos += index[0].length;
      return { kind: 'index', index: Number(index[1]), start };
    }
    if (rest.startsWith('"') || rest.startsWith("'")) {
      const name = this.parseQuoted();
      this.expect(']');
      return { kind: 'key', name, start };
    }
    const keyStart = this.pos;
    const keySteps = this.parseSteps(true);
    const keyText = this.text.slice(keyStart, this.pos);
    if (this.text[this.pos] !== '=') this.fail('a selector needs key=value, e.g. [system=http://hl7.org/fhir/sid/us-npi]');
    this.pos++; // "="
    let value: string;
    if (this.text[this.pos] === '"' || this.text[this.pos] === "'") {
      value = this.parseQuoted();
      this.expect(']');
    } else {
      // A bare value runs to the first "]", so URIs with ":", "/" and "." need no quoting.
      const close = this.text.indexOf(']', this.pos);
      if (close < 0) this.fail(`"[" at position ${start + 1} is never closed`, false);
      value = this.text.slice(this.pos, close);
      this.pos = close + 1;
    }
    if (value === '') this.fail('a selector value is empty');
    return { kind: 'select', key: { text: keyText, anchor: 'row', steps: keySteps }, value, start };
  }

  private parseQuoted(): string {
    const quote = this.text[this.pos];
    const close = this.text.indexOf(quote, this.pos + 1);
    if (close < 0) this.fail(`the quote at position ${this.pos + 1} is never closed`, false);
    const value = this.text.slice(this.pos + 1, close);
    this.pos = close + 1;
    return value;
  }

  private expect(char: string): void {
    if (this.text[this.pos] !== char) {
      this.fail(this.pos >= this.text.length ? `expected "${char}" at the end` : `expected "${char}", found "${this.text[this.pos]}"`);
    }
    this.pos++;
  }

  private fail(problem: string, withPosition = true): never {
    throw new PathSyntaxError(withPosition ? `${problem} (at position ${Math.min(this.pos, this.text.length) + 1})` : problem);
  }
}

/** A path met a list where it needed one value: almost always a mapping mistake worth a row error. */
export class PathMismatch extends Error {
  override readonly name = 'PathMismatch';
  constructor(readonly path: string, readonly prefix: string) {
    super(`source path ${path} meets a list at "${prefix}": use ${prefix}[0] or ${prefix}[*]`);
  }
}

export interface Scope {
  /** The object paths are relative to: the record, or the current `each` element. */
  row: unknown;
  /** The whole record, for `$` paths inside `each`. */
  record: unknown;
}

/** A compiled source path. Returns the value, or a list when the path holds `[*]`, or undefined. */
export interface SourcePath {
  readonly text: string;
  get(scope: Scope): unknown;
}

export function compileSourcePath(text: string, flat: boolean): SourcePath {
  let parsed: ParsedPath | undefined;
  try {
    parsed = parsePath(text);
  } catch (error) {
    if (!(flat && error instanceof PathSyntaxError)) throw error;
  }
  return {
    text,
    get(scope) {
      const row = scope.row;
      if (isObject(row) && Object.hasOwn(row, text)) return row[text];
      if (!parsed) return undefined;
      const start = parsed.anchor === 'record' ? scope.record : row;
      return evaluate(parsed, start);
    },
  };
}


function evaluate(path: ParsedPath, start: unknown): unknown {
  let current: unknown[] = [start];
  let many = false;
  for (const step of path.steps) {
    const next: unknown[] = [];
    for (const value of current) {
      if (value === undefined || value === null) continue;
      switch (step.kind) {
        case 'key':
          if (Array.isArray(value)) throw new PathMismatch(path.text, path.text.slice(0, step.start).replace(/\.$/, ''));
          if (isObject(value) && Object.hasOwn(value, step.name)) next.push(value[step.name]);
          break;
        case 'index': {
          // A lone object stands for a one-element list: XML-to-JSON exports collapse those.
          const list = Array.isArray(value) ? value : [value];
          next.push(list[step.index < 0 ? list.length + step.index : step.index]);
          break;
        }
        case 'all':
          next.push(...(Array.isArray(value) ? value : [value]));
          many = true;
          break;
        case 'select': {
          const list = Array.isArray(value) ? value : [value];
          next.push(list.find((element) => selects(step.key, step.value, element)));
          break;
        }
      }
    }
    current = next.filter((v) => v !== undefined && v !== null);
  }
  if (!many) return current[0];
  return current.flatMap((v) => (Array.isArray(v) ? v : [v]));
}

function selects(key: ParsedPath, expected: string, element: unknown): boolean {
  const found = evaluate(key, element);
  return (Array.isArray(found) ? found : [found]).some((v) => isScalar(v) && String(v) === expected);
}
