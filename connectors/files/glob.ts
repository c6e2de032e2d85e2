import { ConfigurationError } from '../../core/errors.js';

/**
 * Compiles a file-name glob (`*`, `?`, `{a,b}`, nesting allowed) to an anchored RegExp. Shared by
 * every file transport so a pattern in YAML selects the same files on a local folder and on SFTP.
 * Matching is case-sensitive, as on the servers files come from.
 *
 * @throws ConfigurationError when the pattern is malformed (it comes from configuration).
 */
export function compileGlob(pattern: string): RegExp {
  if (typeof pattern !== 'string' || pattern.length === 0) {
    throw new ConfigurationError('pattern must be a non-empty glob string', [
      { path: 'pattern', message: 'must be a non-empty glob string' },
    ]);
  }
  let source = '';
  let depth = 0;
  for (const char of pattern) {
    switch (char) {
      case '*':
        source += '[^/]*';
        break;
      case '?':
        source += '[^/]';
        break;
      case '{':
        depth++;
        source += '(?:';
        break;
      case '}':
        if (depth === 0) throw malformed(pattern, 'has a "}" without a matching "{"');
        depth--;
        source += ')';
        break;
      case ',':
        source += depth > 0 ? '|' : ',';
        break;
      default:
        source += char.replace(/[.+^$()|[\]\\]/g, '\\$&');
    }
  }
  if (depth !== 0) throw malformed(pattern, 'has a "{" without a matching "}"');
  return new RegExp(`^${source}$`, 'u');
}

export function matchesGlob(name: string, pattern: string): boolean {
  return compileGlob(pattern).test(name);
}

function malformed(pattern: string, problem: string): ConfigurationError {
  const message = `pattern ${JSON.stringify(pattern)} ${problem}`;
  return new ConfigurationError(message, [{ path: 'pattern', message }]);
}
