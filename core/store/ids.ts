import { randomFillSync } from 'node:crypto';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const POOL_BYTES = 8 * 1024;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let poolOffset = POOL_BYTES;
let lastMs = -1;
let counter = 0;

/**
 * A UUIDv7 (RFC 9562): millisecond time first, then a 12-bit counter, then random bits. Record ids
 * sort by creation, so paging by id gives a stable, roughly chronological order, and new rows land
 * at the right edge of the primary-key index instead of all over it.
 */
export function uuidv7(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    // Start low in the 12-bit space so a burst within one millisecond rarely overflows it.
    counter = nextRandomByte() & 0x3ff;
  } else if (++counter > 0xfff) {
    lastMs += 1;
    counter = 0;
  }
  const time = lastMs.toString(16).padStart(12, '0');
  if (poolOffset + 8 > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const r = poolOffset;
  poolOffset += 8;
  return (
    time.slice(0, 8) +
    '-' +
    time.slice(8, 12) +
    '-' +
    HEX[0x70 | (counter >> 8)] +
    HEX[counter & 0xff] +
    '-' +
    HEX[0x80 | (pool[r]! & 0x3f)] +
    HEX[pool[r + 1]!] +
    '-' +
    HEX[pool[r + 2]!] +
    HEX[pool[r + 3]!] +
    HEX[pool[r + 4]!] +
    HEX[pool[r + 5]!] +
    HEX[pool[r + 6]!] +
    HEX[pool[r + 7]!]
  );
}

function nextRandomByte(): number {
  if (poolOffset + 1 > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  return pool[poolOffset++]!;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a string can be compared with a uuid column without PostgreSQL raising an error. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** Separates the parts of an in-memory key: PostgreSQL text cannot hold NUL, so no real value contains it. */
export const KEY_SEPARATOR = '\u0000';

/** The key `records.findMany` answers under for a ref: `<system>|<id>` (refs may span systems). */
export function refKey(ref: { system: string; id: string }): string {
  return `${ref.system}|${ref.id}`;
}

/** A record's natural key (tenant, type, external system and id) as one string, for maps and sets. */
export function naturalKey(tenant: string, type: string, externalSystem: string, externalId: string): string {
  return tenant + KEY_SEPARATOR + type + KEY_SEPARATOR + externalSystem + KEY_SEPARATOR + externalId;
}
