/** `hub x12` as a billing analyst uses it on a file the clearinghouse sent: each run a real process. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const FIXTURES = join(ROOT, 'plugins/clearinghouse/fixtures');
const REMITTANCE = join(FIXTURES, 'remittance-835.edi');
const work = mkdtempSync(join(tmpdir(), 'hub-x12-'));

function hub(args: string[]) {
  const result = spawnSync(process.execPath, [join(ROOT, 'bin/hub.js'), 'x12', ...args], {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: 'error' },
    timeout: 120_000,
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

const lines = (text: string) => text.split('\n').filter(Boolean);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('hub x12', () => {
  it('parse prints the 835 as one canonical Remittance line', () => {
    const r = hub(['parse', REMITTANCE]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const [line, ...more] = lines(r.out).map((l) => JSON.parse(l));
    expect(more).toEqual([]);
    expect(line).toMatchObject({ entity: 'Remittance', externalId: 'SHP01|EFT20261015A', record: { paymentAmount: 165, traceNumber: 'EFT20261015A' } });
  });

  it('parse prints a 999 and a 277CA as ClaimAcknowledgment lines', () => {
    const partial = hub(['parse', join(FIXTURES, 'acknowledgment-999-partial.edi')]);
    expect(partial.code).toBe(0);
    expect(lines(partial.out).map((l) => JSON.parse(l).record.status)).toEqual(['accepted', 'rejected']);
    const claims = hub(['parse', join(FIXTURES, 'claim-acknowledgment-277ca.edi')]);
    expect(claims.code).toBe(0);
    expect(lines(claims.out).map((l) => [JSON.parse(l).entity, JSON.parse(l).record.status])).toEqual([
      ['ClaimAcknowledgment', 'accepted'],
      ['ClaimAcknowledgment', 'rejected'],
    ]);
  });

  it('parse says, on stderr, that a kind of set is not mapped yet', () => {
    const file = join(work, 'status-request.edi');
    writeFileSync(file, readFileSync(join(FIXTURES, 'claim-acknowledgment-277ca.edi'), 'utf8').replace('ST*277*0001*005010X214', 'ST*276*0001*005010X212'));
    const r = hub(['parse', file]);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^segment 3 \(ST\) at byte \d+: transaction set 276 is not mapped yet$/m);
  });

  it('validate says OK with counts for a good file', () => {
    const r = hub(['validate', REMITTANCE]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/remittance-835\.edi: OK — 1 interchange\(s\), 1 group\(s\), 1 transaction set\(s\), 60 segment\(s\)/);
  });

  it('validate lists a wrong SE count by segment number, id and byte offset, never a value, and exits 1', () => {
    const file = join(work, 'broken-835.edi');
    writeFileSync(file, readFileSync(REMITTANCE, 'utf8').replace('SE*56*0001', 'SE*55*0001'));
    const r = hub(['validate', file]);
    expect(r.code).toBe(1);
    expect(lines(r.out)).toEqual([expect.stringMatching(/^segment 58 \(SE\) at byte \d+: SE01 says 55 segments, the transaction set has 56$/)]);
    expect(r.out + r.err).not.toMatch(/DELGADO|SHP884120553/);
  });

  it('validate rejects a file that is not X12 at all', () => {
    const file = join(work, 'notes.txt');
    writeFileSync(file, 'Dear billing team, please find attached...\n');
    const r = hub(['validate', file]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/not an X12 interchange/);
  });

  it('ack writes the 999 accepting a good file, to stdout or --out', () => {
    const r = hub(['ack', REMITTANCE, '--control-number', '42']);
    expect(r.code).toBe(0);
    expect(r.out.startsWith('ISA*')).toBe(true);
    expect(r.out).toContain('AK1*HP*4101*005010X221A1');
    expect(r.out).toContain('AK9*A');
    const out = join(work, 'ack.999');
    const toFile = hub(['ack', REMITTANCE, '--out', out]);
    expect(toFile.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^ISA\*[\s\S]*AK9\*A\*1\*1\*1~/);
  });

  it('ack rejects the set with a wrong SE count (IK5*R*4)', () => {
    const file = join(work, 'broken-for-ack.edi');
    writeFileSync(file, readFileSync(REMITTANCE, 'utf8').replace('SE*56*0001', 'SE*55*0001'));
    const r = hub(['ack', file, '--control-number', '43']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('IK5*R*4');
    expect(r.out).toContain('AK9*R*1*1*0');
  });
});

describe('hub x12 ack with a TA1', () => {
  const remittance = () => readFileSync(REMITTANCE, 'utf8');
  const segmentIds = (text: string) => lines(text.replaceAll('~', '~\n')).map((l) => l.split('*')[0]);

  it('puts an accepting TA1 between ISA and GS when the sender asks for one (ISA14 = 1), and the answer validates', () => {
    const file = join(work, 'asks-for-ta1.edi');
    writeFileSync(file, remittance().replace('*000004101*0*P*', '*000004101*1*P*'));
    const out = join(work, 'asks-for-ta1.ack');
    const r = hub(['ack', file, '--control-number', '44', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/999 and TA1 written to/);
    const text = readFileSync(out, 'utf8');
    expect(segmentIds(text).slice(0, 3)).toEqual(['ISA', 'TA1', 'GS']);
    expect(text).toContain('TA1*000004101*261015*0630*A*000~');
    expect(text).toContain('AK9*A*1*1*1');
    expect(hub(['validate', out]).code).toBe(0);
  });

  it('says nothing of the envelope when it is sound and no TA1 was asked for', () => {
    const r = hub(['ack', REMITTANCE, '--control-number', '45']);
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('TA1*');
  });

  it('rejects an interchange whose IEA02 does not match ISA13 with TA1 note 001, beside the 999', () => {
    const file = join(work, 'iea-mismatch.edi');
    writeFileSync(file, remittance().replace('IEA*1*000004101', 'IEA*1*000004109'));
    const r = hub(['ack', file, '--control-number', '46']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('TA1*000004101*261015*0630*R*001~');
    expect(r.out).toContain('AK1*HP*4101*005010X221A1');
  });

  it('answers a file with no functional group (GS missing) with an interchange holding only the TA1', () => {
    const file = join(work, 'no-group.edi');
    writeFileSync(file, remittance().replace(/^GS\*.*\n/m, '').replace(/^GE\*.*\n/m, ''));
    const r = hub(['ack', file, '--control-number', '47']);
    expect(r.code).toBe(0);
    expect(segmentIds(r.out)).toEqual(['ISA', 'TA1', 'IEA']);
    expect(r.out).toContain('TA1*000004101*261015*0630*R*024~');
    expect(r.out).toContain('IEA*0*000000047~');
    expect(r.out + r.err).not.toMatch(/DELGADO|SHP884120553/);
  });

  it('--ta1-only writes just the TA1, back to the sender', () => {
    const r = hub(['ack', REMITTANCE, '--control-number', '48', '--ta1-only']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ISA\*00\* {10}\*00\* {10}\*ZZ\*PRAIRIEMSO {5}\*ZZ\*SUNRISEHP {6}\*/);
    expect(segmentIds(r.out)).toEqual(['ISA', 'TA1', 'IEA']);
    expect(r.out).toContain('TA1*000004101*261015*0630*A*000~');
  });
});
