/**
 * Value-based redaction. Secrets are known by value once config is loaded (every field whose schema
 * says `x-secret`), so anything that might carry one — a log line, an error message, an API answer —
 * is scrubbed by value, wherever the secret ended up inside it.
 */
export const REDACTED = '[redacted]';

export class Redactor {
  private readonly secrets = new Set<string>();
  private pattern: RegExp | undefined;

  /** Registers a secret value. Very short values are ignored: redacting "1" would mangle every log line. */
  add(value: unknown): void {
    if (typeof value !== 'string') return;
    // In a connection URL only the password is secret: the host must stay readable in logs. Other
    // secret URLs (webhook URLs with a token in the path) are redacted whole.
    const connection = connectionUrlPassword(value);
    if (connection !== undefined) {
      if (connection) this.add(connection);
      return;
    }
    if (value.length < 4 || this.secrets.has(value)) return;
    this.secrets.add(value);
    const sorted = [...this.secrets].sort((a, b) => b.length - a.length);
    this.pattern = new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
  }

  get size(): number {
    return this.secrets.size;
  }

  redactString(text: string): string {
    if (!this.pattern) return text;
    return text.replace(this.pattern, REDACTED);
  }

  /** A deep copy of `value` with every secret replaced; safe to log or return to an API caller. */
  redact<T>(value: T): T {
    if (!this.pattern) return value;
    return this.walk(value, 0) as T;
  }

  private walk(value: unknown, depth: number): unknown {
    if (typeof value === 'string') return this.redactString(value);
    if (value === null || typeof value !== 'object' || depth > 20) return value;
    if (Array.isArray(value)) return value.map((v) => this.walk(v, depth + 1));
    if (value instanceof Error) {
      const copy = new Error(this.redactString(value.message));
      copy.name = value.name;
      return copy;
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = this.walk(v, depth + 1);
    return out;
  }
}

const CONNECTION_SCHEMES = new Set(['redis:', 'rediss:', 'postgres:', 'postgresql:', 'amqp:', 'amqps:', 'mysql:', 'sftp:']);

/** The password of a database/broker URL ('' when it has none); undefined when not such a URL. */
function connectionUrlPassword(value: string): string | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return undefined;
  try {
    const url = new URL(value);
    if (url.password) return decodeURIComponent(url.password);
    return CONNECTION_SCHEMES.has(url.protocol) ? '' : undefined;
  } catch {
    return undefined;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The process-wide redactor: config loading registers secrets, the logger and the API read it. */
export const redactor = new Redactor();
