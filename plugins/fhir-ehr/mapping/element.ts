/**
 * A path-aware, forgiving reader over untyped FHIR JSON. Input comes from other systems, so every
 * read checks the JSON type; a wrong type is reported by its FHIR path (never its value, which may
 * be PHI) and read as absent, so one bad element costs that element, not the resource.
 */

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class Element {
  constructor(
    readonly data: JsonObject,
    /** FHIR path of this element, e.g. `Patient.name[0]`. */
    readonly path: string,
    /** Shared by every element read from one resource. */
    readonly problems: string[],
  ) {}

  at(key: string): string {
    return `${this.path}.${key}`;
  }

  has(key: string): boolean {
    const value = this.data[key];
    return value !== undefined && value !== null;
  }

  /** A non-blank string, trimmed (FHIR forbids blank strings, so blank reads as absent). */
  string(key: string): string | undefined {
    const value = this.data[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') return this.wrongType(key, 'a string');
    const trimmed = value.trim();
    return trimmed === '' ? undefined : trimmed;
  }

  number(key: string): number | undefined {
    const value = this.data[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) return this.wrongType(key, 'a number');
    return value;
  }

  boolean(key: string): boolean | undefined {
    const value = this.data[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') return this.wrongType(key, 'true or false');
    return value;
  }

  child(key: string): Element | undefined {
    const value = this.data[key];
    if (value === undefined || value === null) return undefined;
    if (!isObject(value)) return this.wrongType(key, 'an object');
    return new Element(value, this.at(key), this.problems);
  }

  /** The objects of an array element; non-object items are reported and skipped. */
  children(key: string): Element[] {
    const value = this.data[key];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) return this.wrongType(key, 'an array') ?? [];
    const out: Element[] = [];
    value.forEach((item, i) => {
      if (isObject(item)) out.push(new Element(item, `${this.at(key)}[${i}]`, this.problems));
      else this.problems.push(`${this.at(key)}[${i}]: expected an object`);
    });
    return out;
  }

  /** The non-blank strings of an array element. */
  strings(key: string): string[] {
    const value = this.data[key];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) return this.wrongType(key, 'an array') ?? [];
    const out: string[] = [];
    value.forEach((item, i) => {
      if (typeof item !== 'string') this.problems.push(`${this.at(key)}[${i}]: expected a string`);
      else if (item.trim() !== '') out.push(item.trim());
    });
    return out;
  }

  private wrongType(key: string, expected: string): undefined {
    this.problems.push(`${this.at(key)}: expected ${expected}`);
    return undefined;
  }
}
