import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import { parse, type CsvError } from 'csv-parse';
import { ConfigurationError, InputError } from '../../core/errors.js';

export interface CsvReadOptions {
  /** One character. @defaultValue ',' */
  delimiter?: string;
  /**
   * Whether the first row names the columns. Without a header, fields are keyed by their
   * 0-based position (`'0'`, `'1'`, …). @defaultValue true
   */
  header?: boolean;
  /** A record longer than this stops the file: it means a wrong delimiter or an unclosed quote. @defaultValue 10 MiB */
  maxRecordChars?: number;
}

/** One CSV record: the 1-based line it starts on and either its fields or why it was rejected. */
export interface CsvRecord {
  line: number;
  value?: Record<string, string>;
  error?: string;
}

const DEFAULT_MAX_RECORD_CHARS = 10 * 1024 * 1024;

/**
 * Reads a CSV file record by record (csv-parse, streaming). A leading BOM is dropped, header names
 * are trimmed, quoted fields may hold delimiters and line breaks (returned as `\n`), blank lines
 * are skipped. A row with the wrong number of fields yields `{ line, error }` and reading goes on.
 *
 * @throws ConfigurationError for unusable options; InputError when the header is unusable (a
 * repeated column name) or a record exceeds maxRecordChars, since nothing after it can be trusted.
 */
export async function* readCsv(
  stream: Readable | AsyncIterable<Uint8Array | string>,
  options: CsvReadOptions = {},
): AsyncGenerator<CsvRecord, void, undefined> {
  const delimiter = options.delimiter ?? ',';
  if (typeof delimiter !== 'string' || [...delimiter].length !== 1 || /["\r\n]/.test(delimiter)) {
    throw new ConfigurationError('readCsv: delimiter must be one character other than a quote or line break', [
      { path: 'delimiter', message: 'must be one character other than a quote or line break' },
    ]);
  }
  const header = options.header ?? true;
  if (typeof header !== 'boolean') {
    throw new ConfigurationError('readCsv: header must be a boolean', [{ path: 'header', message: 'must be a boolean' }]);
  }
  const maxRecordChars = options.maxRecordChars ?? DEFAULT_MAX_RECORD_CHARS;
  if (!Number.isInteger(maxRecordChars) || maxRecordChars <= 0) {
    throw new ConfigurationError('readCsv: maxRecordChars must be a positive integer', [
      { path: 'maxRecordChars', message: 'must be a positive integer' },
    ]);
  }

  let headerProblem: string | undefined;
  const parser = parse({
    bom: true,
    delimiter,
    columns: header
      ? (names: string[]) => {
          const columns = names.map((name, index) => name.trim() || `column${index + 1}`);
          const repeated = columns.find((name, index) => columns.indexOf(name) !== index);
          if (repeated !== undefined) headerProblem = `column ${JSON.stringify(repeated)} appears twice in the header`;
          return columns;
        }
      : false,
    info: true,
    skip_empty_lines: true,
    // A stray quote inside a field (`5" gauze`) would otherwise flip the parser into quoting mode
    // and swallow every later row into one error; relaxed, it stays in the field's value.
    relax_quotes: true,
    max_record_size: maxRecordChars,
    skip_records_with_error: true,
    on_skip: (error: CsvError | undefined) => {
      if (error === undefined) return undefined;
      if (error.code === 'CSV_MAX_RECORD_SIZE') {
        parser.destroy(
          new InputError(`CSV record longer than ${maxRecordChars} characters near line ${lineOf(error)}`, [], {
            cause: error,
          }),
        );
        return undefined;
      }
      // Pushed from inside the parse step, so the error keeps its place among the records.
      parser.push({ skipped: error } satisfies ParsedItem);
      return undefined;
    },
  });

  // pipeline carries a source error to the parser (so the loop below throws it) and, when the
  // consumer stops early, tears the source down instead of reading it to the end.
  const piped = new Promise<void>((resolve) => pipeline(stream, crlfToLf(), parser, () => resolve()));

  try {
    for await (const item of parser as AsyncIterable<ParsedItem>) {
      if (headerProblem !== undefined) throw new InputError(`CSV header: ${headerProblem}`, [{ path: '/0', message: headerProblem }]);
      if ('skipped' in item) {
        yield { line: startLine(item.skipped.lines, item.skipped.record), error: describeSkip(item.skipped) };
        continue;
      }
      const fields = item.record;
      yield {
        line: startLine(item.info.lines, Object.values(fields)),
        value: Array.isArray(fields) ? Object.fromEntries(fields.map((field, index) => [String(index), field])) : fields,
      };
    }
    if (headerProblem !== undefined) throw new InputError(`CSV header: ${headerProblem}`, [{ path: '/0', message: headerProblem }]);
  } finally {
    parser.destroy();
    // The pipeline's own failure, if any, already reached the loop through the parser.
    await piped;
  }
}

type ParsedItem =
  | { record: Record<string, string> | string[]; info: { lines: number } }
  | { skipped: CsvError & { lines?: number; record?: unknown } };

/** csv-parse counts the line a record ends on; a person looks for the line it starts on. */
function startLine(endLine: number | undefined, fields: unknown): number {
  const end = endLine ?? 0;
  if (!Array.isArray(fields)) return end;
  let breaks = 0;
  for (const field of fields) {
    if (typeof field === 'string') for (const char of field) if (char === '\n') breaks++;
  }
  return Math.max(1, end - breaks);
}

function lineOf(error: CsvError & { lines?: number }): number {
  return error.lines ?? 0;
}

function describeSkip(error: CsvError & { record?: unknown }): string {
  const got = Array.isArray(error.record) ? error.record.length : undefined;
  if (error.code === 'CSV_RECORD_INCONSISTENT_COLUMNS' && got !== undefined) {
    const expected = /columns length is (\d+)/.exec(error.message)?.[1];
    return `expected ${expected ?? 'the header’s number of'} fields as in the header, got ${got}`;
  }
  if (error.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH' && got !== undefined) {
    const expected = /expect (\d+)/.exec(error.message)?.[1];
    return `expected ${expected ?? 'the first row’s number of'} fields as in the first row, got ${got}`;
  }
  // csv-parse ends some messages with the offending value, which may be PHI: keep only the kind of problem.
  return error.message.replace(/,?\s*(value is|got)\s.*$/is, '').trim();
}

/**
 * Turns CRLF and lone CR into LF before csv-parse sees them: its line count drifts on CRLF files
 * with blank lines, and values spanning lines come out the same whatever system wrote the file.
 */
function crlfToLf(): Transform {
  let afterCr = false;
  return new Transform({
    transform(chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      const parts: Buffer[] = [];
      let copyFrom = 0;
      for (let index = 0; index < bytes.length; index++) {
        const byte = bytes[index];
        if (afterCr) {
          afterCr = false;
          // The LF of a CRLF split across chunks was already written as the CR's replacement.
          if (byte === LF_BYTE) {
            copyFrom = index + 1;
            continue;
          }
        }
        if (byte === CR_BYTE) {
          parts.push(bytes.subarray(copyFrom, index), LF);
          copyFrom = index + 1;
          afterCr = true;
        }
      }
      parts.push(bytes.subarray(copyFrom));
      callback(null, Buffer.concat(parts));
    },
  });
}

const CR_BYTE = 0x0d;
const LF_BYTE = 0x0a;
const LF = Buffer.from('\n');
