import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every depth, so that the same content always gives the same
 * text whatever order a mapping happened to build it in. Otherwise it follows JSON.stringify:
 * `toJSON()` is honoured, `undefined`/functions/symbols are dropped from objects and become `null`
 * in arrays, non-finite numbers become `null`, and a bigint throws.
 */
export function canonicalJson(value: unknown): string {
  const text = write(value);
  return text === undefined ? 'null' : text;
}

/** sha256 hex of the canonical JSON of `data`: a record's content hash. */
export function contentHash(data: unknown): string {
  return sha256Hex(canonicalJson(data));
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function write(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('Do not know how to serialize a BigInt');
    case 'object': {
      if (value === null) return 'null';
      const withToJson = value as { toJSON?: unknown };
      if (typeof withToJson.toJSON === 'function') return write((withToJson.toJSON as () => unknown).call(value));
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          out += write(value[i]) ?? 'null';
        }
        return out + ']';
      }
      const object = value as Record<string, unknown>;
      const keys = Object.keys(object).sort();
      let out = '{';
      let first = true;
      for (const key of keys) {
        const item = write(object[key]);
        if (item === undefined) continue;
        out += (first ? '' : ',') + JSON.stringify(key) + ':' + item;
        first = false;
      }
      return out + '}';
    }
    default:
      // undefined, functions and symbols: absent, as in JSON.stringify.
      return undefined;
  }
}
