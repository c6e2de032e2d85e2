/**
 * FHIR references to canonical references (`{ system, id }`, see `reference()` in the model).
 *
 * The rule, so that a record referenced before it arrives resolves when it does (the store keys
 * records by that same pair):
 *
 * - `Patient/123`, `Patient/123/_history/2` and `https://ehr.example/fhir/Patient/123` all become
 *   `{ system: externalSystem, id: 'Patient/123' }`, the key the Patient itself is emitted under.
 *   The version is dropped: records are keyed per resource, and the store keeps their history.
 *   An absolute URL on a server other than `fhirBaseUrl` (when configured) keeps that server's base
 *   as the system, because its ids are not the EHR's.
 * - `urn:uuid:…` inside a bundle is looked up by the entries' `fullUrl` and becomes the target's
 *   own `Type/id`. Outside its bundle the type comes from `reference.type` or from the element,
 *   when it allows only one, and the uuid is taken as the id, as bundle writers such as Synthea
 *   give each resource the uuid of its fullUrl.
 * - A logical reference (`reference.identifier`) or a conditional one (`Practitioner?identifier=
 *   system|value`, as bulk exports write them) becomes the target's `Type/id` when the target is in
 *   the bundle, else `{ system: identifier system, id: value }`. Records are aliased under their
 *   identifiers (MappedRecord.aliases), so such a key finds its record once it arrives; it is also
 *   the key the shipped provider directory emits practitioners under (by NPI).
 * - `#id` points into `contained`: it is read for its content, but a contained resource has no
 *   identity of its own, so no canonical reference is made. A display-only reference links nothing.
 */
import type { ExternalRef } from '../../../core/sdk/index.js';
import { Element, isObject, type JsonObject } from './element.js';
import type { MappingContext } from './types.js';

/** Resources of one bundle, by the three ways a reference can name them. */
export interface BundleIndex {
  byFullUrl: Map<string, JsonObject>;
  /** `Type/id` */
  byKey: Map<string, JsonObject>;
  /** `Type|system|value` of each identifier */
  byIdentifier: Map<string, JsonObject>;
}

export function indexBundle(entries: readonly { fullUrl?: string; resource: JsonObject }[]): BundleIndex {
  const index: BundleIndex = { byFullUrl: new Map(), byKey: new Map(), byIdentifier: new Map() };
  for (const { fullUrl, resource } of entries) {
    const type = resource.resourceType;
    if (typeof type !== 'string') continue;
    if (fullUrl) index.byFullUrl.set(fullUrl, resource);
    if (typeof resource.id === 'string') index.byKey.set(`${type}/${resource.id}`, resource);
    if (Array.isArray(resource.identifier)) {
      for (const id of resource.identifier) {
        if (isObject(id) && typeof id.system === 'string' && typeof id.value === 'string') {
          index.byIdentifier.set(`${type}|${id.system}|${id.value}`, resource);
        }
      }
    }
  }
  return index;
}

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const TYPE = '([A-Z][A-Za-z]+)';
const ID = '([A-Za-z0-9\\-.]{1,64})';
const HISTORY = '(?:/_history/[^/]+)?';
const RELATIVE = new RegExp(`^${TYPE}/${ID}${HISTORY}$`);
const ABSOLUTE = new RegExp(`^(https?://.+?)/${TYPE}/${ID}${HISTORY}$`);
const RESOURCE_TYPE = /^[A-Z][A-Za-z]{1,63}$/;
const CONDITIONAL = new RegExp(`^${TYPE}\\?identifier=([^&]+)$`);

export function isFhirId(value: string): boolean {
  return FHIR_ID.test(value);
}

/** What a reference element points at, once read. */
export interface Followed {
  /** The target's resource type, when the reference or the element says. */
  type?: string;
  /** The canonical reference; absent for contained, display-only or unreadable references. */
  ref?: ExternalRef;
  /** The target itself, when it is contained or in the same bundle. */
  resource?: Element;
  /** The identifier the reference carried, logically, conditionally or beside a literal reference (e.g. an NPI). */
  identifier?: { system: string; value: string };
  display?: string;
}

type Parsed =
  | { kind: 'literal'; type: string; id: string; base?: string }
  | { kind: 'urn'; urn: string }
  | { kind: 'contained'; id: string }
  | { kind: 'identifier'; type?: string; system: string; value: string }
  | { kind: 'none' };

function trimSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}

/** Follows the references of one resource: to canonical keys, and to their targets when in hand. */
export class References {
  private readonly ownBase: string | undefined;

  constructor(
    private readonly context: MappingContext,
    private readonly resource: Element,
    private readonly bundle?: BundleIndex,
  ) {
    this.ownBase = context.fhirBaseUrl ? trimSlash(context.fhirBaseUrl) : undefined;
  }

  /** The key a resource of this EHR is emitted under, and that references to it become. */
  key(type: string, id: string): ExternalRef {
    return { system: this.context.externalSystem, id: `${type}/${id}` };
  }

  /**
   * Reads a Reference element whose target must be one of `targets`. A reference to another type
   * is reported and read as nothing (e.g. an Encounter.subject that is a Group).
   */
  follow(el: Element | undefined, targets: readonly string[]): Followed {
    if (!el) return {};
    const display = el.string('display');
    const parsed = this.parse(el);
    const followed = this.resolveParsed(parsed, el, targets);
    // A literal reference may carry its target's identifier too (an NPI, say): keep it.
    const identifier = followed.identifier ?? this.identifierOf(el);
    let type = followed.type ?? el.string('type');
    if (type !== undefined && !targets.includes(type)) {
      // The type is the source's text; name it only when it looks like a resource type, not a value.
      const what = RESOURCE_TYPE.test(type) ? `a ${type}` : 'another resource type';
      el.problems.push(`${el.path}: refers to ${what}, where ${targets.join(' or ')} is expected; not linked`);
      return display ? { display } : {};
    }
    if (type === undefined && targets.length === 1) type = targets[0];
    let ref = followed.ref;
    if (!ref && parsed.kind === 'urn') {
      if (type !== undefined) ref = this.key(type, parsed.urn.slice(parsed.urn.lastIndexOf(':') + 1));
      else el.problems.push(`${el.path}: a urn reference outside its bundle, to no single resource type; not linked`);
    }
    return {
      ...followed,
      ...(type !== undefined ? { type } : {}),
      ...(ref ? { ref } : {}),
      ...(identifier ? { identifier } : {}),
      ...(display ? { display } : {}),
    };
  }

  private identifierOf(el: Element): { system: string; value: string } | undefined {
    const identifier = el.child('identifier');
    const system = identifier?.string('system');
    const value = identifier?.string('value');
    return system !== undefined && value !== undefined ? { system, value } : undefined;
  }

  private parse(el: Element): Parsed {
    const reference = el.string('reference');
    if (reference !== undefined) {
      if (reference.startsWith('#')) return { kind: 'contained', id: reference.slice(1) };
      if (reference.startsWith('urn:uuid:') || reference.startsWith('urn:oid:')) return { kind: 'urn', urn: reference };
      const relative = RELATIVE.exec(reference);
      if (relative) return { kind: 'literal', type: relative[1]!, id: relative[2]! };
      const absolute = ABSOLUTE.exec(reference);
      if (absolute) return { kind: 'literal', base: trimSlash(absolute[1]!), type: absolute[2]!, id: absolute[3]! };
      const conditional = CONDITIONAL.exec(reference);
      if (conditional) {
        const token = safeDecode(conditional[2]!);
        const bar = token?.indexOf('|') ?? -1;
        if (token !== undefined && bar > 0 && bar < token.length - 1) {
          return { kind: 'identifier', type: conditional[1]!, system: token.slice(0, bar), value: token.slice(bar + 1) };
        }
      }
      el.problems.push(`${el.at('reference')}: not a reference form this mapping reads; not linked`);
      return { kind: 'none' };
    }
    const identifier = this.identifierOf(el);
    if (identifier) {
      const type = el.string('type');
      return { kind: 'identifier', ...(type ? { type } : {}), ...identifier };
    }
    return { kind: 'none' };
  }

  private resolveParsed(parsed: Parsed, el: Element, targets: readonly string[]): Followed {
    switch (parsed.kind) {
      case 'contained': {
        const found = this.resource.children('contained').find((c) => c.string('id') === parsed.id);
        if (!found) {
          el.problems.push(`${el.path}: points at a contained resource that is not there; not linked`);
          return {};
        }
        return { type: found.string('resourceType'), resource: this.view(found.data, el) };
      }
      case 'urn': {
        const target = this.bundle?.byFullUrl.get(parsed.urn);
        return target ? this.fromTarget(target, el) : {};
      }
      case 'literal': {
        const foreign = parsed.base !== undefined && this.ownBase !== undefined && parsed.base !== this.ownBase;
        const target = foreign ? undefined : this.bundle?.byKey.get(`${parsed.type}/${parsed.id}`);
        return {
          type: parsed.type,
          ref: foreign ? { system: parsed.base!, id: `${parsed.type}/${parsed.id}` } : this.key(parsed.type, parsed.id),
          ...(target ? { resource: this.view(target, el) } : {}),
        };
      }
      case 'identifier': {
        const identifier = { system: parsed.system, value: parsed.value };
        let target: JsonObject | undefined;
        for (const type of parsed.type ? [parsed.type] : targets) {
          target ??= this.bundle?.byIdentifier.get(`${type}|${parsed.system}|${parsed.value}`);
        }
        if (target) return { ...this.fromTarget(target, el), identifier };
        return {
          ...(parsed.type ? { type: parsed.type } : {}),
          ref: { system: parsed.system, id: parsed.value },
          identifier,
        };
      }
      case 'none':
        return {};
    }
  }

  private fromTarget(target: JsonObject, el: Element): Followed {
    const type = target.resourceType as string;
    const id = typeof target.id === 'string' && isFhirId(target.id) ? target.id : undefined;
    return { type, ...(id ? { ref: this.key(type, id) } : {}), resource: this.view(target, el) };
  }

  /** The target, read with FHIRPath's `resolve()` in its path so problems say how it was reached. */
  private view(target: JsonObject, el: Element): Element {
    return new Element(target, `${el.path}.resolve()`, el.problems);
  }
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
