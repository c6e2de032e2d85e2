/**
 * `${env:NAME}`, `${env:NAME:-default}` and `${file:path}` in the config's scalar strings. It works
 * on the parsed YAML nodes rather than on the text, so a substituted value can never change the
 * document's structure (a value holding `: ` or a newline stays one string) and every problem is
 * reported at the line and column of the value that asked for it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isAlias, isPair, isScalar, isSeq, visit, type Document, type LineCounter, type Node } from 'yaml';
import type { ValidationIssue } from '../errors.js';

export interface SubstitutionOptions {
  env: NodeJS.ProcessEnv;
  /** `${file:…}` paths resolve against this folder (the config file's). */
  baseDir: string;
  /** Reads a file as UTF-8; a test seam, defaults to `readFileSync`. */
  readFile?: (absolutePath: string) => string;
}

export interface SubstitutionResult {
  value: string;
  /** Contents read through `${file:…}`: files are how secrets reach the config, so callers redact these. */
  fileContents: string[];
}

/** A substitution that cannot be made; the message names the variable or file, never a value. */
export class SubstitutionError extends Error {}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Substitutes every `${…}` in one string; `$${` stands for a literal `${`. Throws SubstitutionError. */
export function substituteString(text: string, options: SubstitutionOptions): SubstitutionResult {
  const fileContents: string[] = [];
  let value = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      value += '${';
      i += 3;
    } else if (text.startsWith('${', i)) {
      const end = text.indexOf('}', i + 2);
      if (end < 0) throw new SubstitutionError('has a "${" that is never closed with "}" (write "$${" for a literal "${")');
      value += resolveOne(text.slice(i + 2, end), options, fileContents);
      i = end + 1;
    } else {
      value += text[i];
      i += 1;
    }
  }
  return { value, fileContents };
}

function resolveOne(expression: string, options: SubstitutionOptions, fileContents: string[]): string {
  const colon = expression.indexOf(':');
  const scheme = colon < 0 ? expression : expression.slice(0, colon);
  const rest = colon < 0 ? '' : expression.slice(colon + 1);
  if (scheme === 'env') {
    const dash = rest.indexOf(':-');
    const name = dash < 0 ? rest : rest.slice(0, dash);
    if (!ENV_NAME.test(name)) throw new SubstitutionError(`"\${env:${name}}" does not name an environment variable`);
    const fallback = dash < 0 ? undefined : rest.slice(dash + 2);
    const value = options.env[name];
    // As in the shell, `:-` also covers a variable that is set but empty.
    if (fallback !== undefined && (value === undefined || value === '')) return fallback;
    if (value === undefined) {
      throw new SubstitutionError(`environment variable ${name} is not set (or write \${env:${name}:-default} to give a default)`);
    }
    return value;
  }
  if (scheme === 'file') {
    const relative = rest.trim();
    if (!relative) throw new SubstitutionError('"${file:}" needs a path');
    const absolute = path.resolve(options.baseDir, relative);
    let content: string;
    try {
      content = (options.readFile ?? ((p: string) => readFileSync(p, 'utf8')))(absolute);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new SubstitutionError(`cannot read file ${relative} (${absolute}): ${reason}`, { cause: error });
    }
    // Editors end files with a newline that is not part of the secret; more than one is deliberate.
    content = content.replace(/\r?\n$/, '');
    fileContents.push(content);
    return content;
  }
  throw new SubstitutionError(`"\${${scheme}${colon < 0 ? '' : ':…'}}" is not a substitution: use \${env:NAME}, \${env:NAME:-default} or \${file:path}`);
}

/**
 * Substitutes in every string scalar value of the document, in place. Map keys are left alone:
 * they name settings, and a key that changes with the environment would defeat validation.
 */
export function substituteDocument(
  doc: Document,
  options: SubstitutionOptions & { lineCounter: LineCounter; file?: string },
): { issues: ValidationIssue[]; fileContents: string[] } {
  const issues: ValidationIssue[] = [];
  const fileContents: string[] = [];
  visit(doc, {
    Scalar(key, node, ancestors) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('${')) return;
      try {
        const result = substituteString(node.value, options);
        node.value = result.value;
        fileContents.push(...result.fileContents);
      } catch (error) {
        if (!(error instanceof SubstitutionError)) throw error;
        const position = node.range ? options.lineCounter.linePos(node.range[0]) : undefined;
        issues.push({
          path: toPointer(nodePath(ancestors, node)),
          message: error.message,
          file: options.file,
          line: position?.line,
          column: position?.col,
        });
      }
    },
  });
  return { issues, fileContents };
}

/** The JSON path segments of a node from the ancestors `visit` gives. */
export function nodePath(ancestors: readonly unknown[], node: Node): string[] {
  const chain = [...ancestors, node];
  const segments: string[] = [];
  for (let i = 0; i < chain.length - 1; i++) {
    const parent = chain[i];
    const child = chain[i + 1];
    if (isPair(parent)) {
      const key = parent.key;
      segments.push(isScalar(key) ? String(key.value) : isAlias(key) ? `*${key.source}` : String(key));
    } else if (isSeq(parent)) {
      segments.push(String(parent.items.indexOf(child as never)));
    }
  }
  return segments;
}

/** RFC 6901 JSON pointer, as ajv writes instance paths. */
export function toPointer(segments: readonly string[]): string {
  return segments.map((s) => '/' + s.replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

export function fromPointer(pointer: string): string[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}
