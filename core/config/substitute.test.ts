import { describe, expect, it } from 'vitest';
import { SubstitutionError, substituteString } from './substitute.js';

const files: Record<string, string> = {
  '/etc/hub/token.txt': 'tok-123\n',
  '/etc/hub/key.pem': '-----BEGIN KEY-----\nabc\n-----END KEY-----\r\n',
};
const options = {
  env: { DB_USER: 'hub', DB_HOST: 'db.internal', EMPTY: '' },
  baseDir: '/etc/hub',
  readFile: (p: string) => {
    const content = files[p];
    if (content === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
    return content;
  },
};

describe('substituteString', () => {
  it('replaces several references in one string', () => {
    expect(substituteString('postgres://${env:DB_USER}@${env:DB_HOST}/hub', options).value).toBe('postgres://hub@db.internal/hub');
  });

  it('uses the default when the variable is unset or empty, and allows an empty default', () => {
    expect(substituteString('${env:NOPE:-fallback}', options).value).toBe('fallback');
    expect(substituteString('${env:EMPTY:-fallback}', options).value).toBe('fallback');
    expect(substituteString('[${env:NOPE:-}]', options).value).toBe('[]');
    expect(substituteString('${env:EMPTY}', options).value).toBe('');
  });

  it('keeps $${ as a literal ${ and leaves other dollars alone', () => {
    expect(substituteString('cost $5, template $${name}, $$ stays', options).value).toBe('cost $5, template ${name}, $$ stays');
  });

  it('reads files relative to the base folder, trimming one trailing newline', () => {
    const result = substituteString('${file:token.txt}', options);
    expect(result).toEqual({ value: 'tok-123', fileContents: ['tok-123'] });
    expect(substituteString('${file:./key.pem}', options).value).toBe('-----BEGIN KEY-----\nabc\n-----END KEY-----');
  });

  it('explains what is wrong without echoing values', () => {
    expect(() => substituteString('${env:MISSING}', options)).toThrow(/environment variable MISSING is not set/);
    expect(() => substituteString('${file:gone.txt}', options)).toThrow('cannot read file gone.txt (/etc/hub/gone.txt): ENOENT');
    expect(() => substituteString('${env:BAD-NAME}', options)).toThrow(/does not name an environment variable/);
    expect(() => substituteString('${vault:kv/hub}', options)).toThrow(/"\$\{vault:…}" is not a substitution/);
    expect(() => substituteString('abc ${env:X', options)).toThrow(SubstitutionError);
  });
});
