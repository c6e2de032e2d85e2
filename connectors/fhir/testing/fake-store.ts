import { randomUUID } from 'node:crypto';
import type { FhirResource } from '../types.js';

/**
 * The fake server's resources, versioned as a server keeps them: every stored change gets a new
 * versionId and meta.lastUpdated; storing identical content again changes nothing.
 */
export class FakeStore {
  private readonly byType = new Map<string, Map<string, FhirResource>>();

  constructor(private readonly now: () => number) {}

  /** Seeds a resource, keeping a meta.lastUpdated it already has (so tests can spread resources in time). */
  seed(resource: FhirResource): FhirResource {
    const copy = structuredClone(resource);
    copy.id ??= randomUUID();
    copy.meta = { ...copy.meta, versionId: copy.meta?.versionId ?? '1', lastUpdated: copy.meta?.lastUpdated ?? this.timestamp() };
    this.table(copy.resourceType).set(copy.id, copy);
    return structuredClone(copy);
  }

  /** Creates or replaces; @returns the stored resource and whether anything changed. */
  write(resource: FhirResource): { stored: FhirResource; created: boolean; changed: boolean } {
    const table = this.table(resource.resourceType);
    const id = resource.id ?? randomUUID();
    const existing = table.get(id);
    if (existing && sameContent(existing, resource)) return { stored: structuredClone(existing), created: false, changed: false };
    const version = existing ? String(Number(existing.meta?.versionId ?? '0') + 1) : '1';
    const stored: FhirResource = { ...structuredClone(resource), id, meta: { ...resource.meta, versionId: version, lastUpdated: this.timestamp() } };
    table.set(id, stored);
    return { stored: structuredClone(stored), created: !existing, changed: true };
  }

  get(type: string, id: string): FhirResource | undefined {
    const found = this.byType.get(type)?.get(id);
    return found && structuredClone(found);
  }

  all(type: string): FhirResource[] {
    return [...(this.byType.get(type)?.values() ?? [])].map((resource) => structuredClone(resource));
  }

  types(): string[] {
    return [...this.byType.keys()].filter((type) => (this.byType.get(type)?.size ?? 0) > 0);
  }

  private table(type: string): Map<string, FhirResource> {
    let table = this.byType.get(type);
    if (!table) {
      table = new Map();
      this.byType.set(type, table);
    }
    return table;
  }

  private timestamp(): string {
    return new Date(this.now()).toISOString();
  }
}

function sameContent(a: FhirResource, b: FhirResource): boolean {
  const { meta: _a, id: _aid, ...restA } = a;
  const { meta: _b, id: _bid, ...restB } = b;
  return JSON.stringify(sortKeys(restA)) === JSON.stringify(sortKeys(restB));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value as Record<string, unknown>)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}
