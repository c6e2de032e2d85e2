import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildInterchange, parseSegments, readSegmentBatches, transactionSets, type Segment } from '../../connectors/x12/index.js';
import { options835, remittance835Body } from '../../connectors/x12/fixtures/synthetic.js';
import { validateEntity } from '../../core/sdk/index.js';
import { mapRemittance835, Remittance835Builder } from './remittance-835.js';

const FIXTURE = new URL('./fixtures/remittance-835.edi', import.meta.url);
const SAMPLE = new URL('../../connectors/x12/fixtures/profee.edi', import.meta.url);

async function sets(text: string): Promise<Segment[][]> {
  const out: Segment[][] = [];
  for await (const set of transactionSets(parseSegments(text))) out.push(set.segments);
  return out;
}

describe('835 to canonical Remittance', () => {
  it('maps payment, payer, payee, claims, lines, adjustments and provider-level adjustments', async () => {
    const [segments] = await sets(readFileSync(FIXTURE, 'utf8'));
    const { remittance, externalId, problems } = mapRemittance835(segments!);
    expect(problems).toEqual([]);
    expect(externalId).toBe('SHP01|EFT20261015A');
    expect(remittance).toMatchObject({
      payer: { name: 'SUNRISE HEALTH PLAN', payerId: 'SHP01' },
      payee: { name: 'RIVERSIDE FAMILY MEDICINE', npi: '1234567893', taxId: '123456789' },
      paymentMethod: 'ACH',
      paymentAmount: 165,
      paymentDate: '2026-10-15',
      traceNumber: 'EFT20261015A',
      productionDate: '2026-10-14',
    });
    const claims = remittance!.claimPayments;
    expect(claims.map((c) => [c.statusCode, c.paidAmount])).toEqual([
      ['1', 165],
      ['4', 0],
      ['22', -165],
      ['1', 175],
    ]);
    const [paid, denied, reversal, corrected] = claims;
    expect(paid).toMatchObject({
      patientControlNumber: 'RFM-000481-01',
      chargeAmount: 250,
      patientResponsibility: 40,
      payerClaimControlNumber: 'PCN0001',
      patient: { name: { family: 'DELGADO', given: ['MARISOL'] }, memberId: 'SHP884120553' },
      renderingProviderNpi: '1245319599',
      servicePeriod: { start: '2026-10-02', end: '2026-10-02' },
    });
    expect(paid!.serviceLinePayments![0]).toEqual({
      procedure: { code: '99214' },
      chargeAmount: 180,
      paidAmount: 120,
      units: 1,
      serviceDate: '2026-10-02',
      lineControlNumber: 'L1',
      allowedAmount: 150,
      adjustments: [
        { group: 'CO', reasonCode: '45', amount: 30 },
        { group: 'PR', reasonCode: '3', amount: 30 },
      ],
    });
    expect(denied).toMatchObject({ remarkCodes: ['N386'] });
    expect(denied!.serviceLinePayments![0]).toMatchObject({ procedure: { code: '97110', modifiers: ['GP'] }, remarkCodes: ['N386'] });
    expect(reversal).toMatchObject({ chargeAmount: -250, patientResponsibility: -40, payerClaimControlNumber: 'PCN0001' });
    expect(corrected).toMatchObject({ frequencyCode: '7', payerClaimControlNumber: 'PCN0001R' });
    expect(remittance!.providerAdjustments).toEqual([
      { providerId: '1234567893', fiscalPeriodDate: '2026-12-31', reasonCode: 'L6', referenceId: 'INTEREST', amount: -2.5 },
      { providerId: '1234567893', fiscalPeriodDate: '2026-12-31', reasonCode: 'WO', referenceId: 'PCN0099', amount: 12.5 },
    ]);
    // The canonical schema (with its 835 balancing rules) accepts it as is.
    expect(validateEntity('Remittance', remittance)).toEqual([]);
  });

  it('reports a payment that does not balance, naming the segment, and the model refuses it too', async () => {
    const text = readFileSync(FIXTURE, 'utf8').replace('BPR*I*165*', 'BPR*I*170*');
    const [segments] = await sets(text);
    const { remittance, problems } = mapRemittance835(segments!);
    expect(problems).toEqual([
      expect.stringMatching(/^segment \d+ \(BPR\): BPR02 does not balance: claim payments 175\.00 less provider adjustments 10\.00 make 165\.00, BPR02 says 170\.00$/),
    ]);
    expect(validateEntity('Remittance', remittance).length).toBeGreaterThan(0);
  });

  it("maps a payer's real-world 835 (tastypackets sample), whose balancing holds", async () => {
    const [segments] = await sets(readFileSync(SAMPLE, 'utf8'));
    const { remittance, problems } = mapRemittance835(segments!);
    expect(problems).toEqual([]);
    expect(remittance!.paymentAmount).toBe(45.75);
    expect(remittance!.claimPayments.reduce((sum, c) => sum + c.paidAmount, 0)).toBeCloseTo(45.75, 2);
    // Its payee NPI (9999999995) is outside the range NPPES issues: the schema says so by field.
    expect(validateEntity('Remittance', remittance)).toContainEqual(expect.objectContaining({ path: '/payee/npi' }));
  });

  it('gives plain records, their fields in the order the payer sent the segments', async () => {
    const [segments] = await sets(readFileSync(FIXTURE, 'utf8'));
    const { remittance } = mapRemittance835(segments!);
    const [paid] = remittance!.claimPayments;
    expect(Object.getPrototypeOf(paid)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(paid!.serviceLinePayments![0])).toBe(Object.prototype);
    // CLP first, then NM1*QC, NM1*82, DTM*232/233 and the SVC loops, as they came.
    expect(Object.keys(paid!)).toEqual([
      'patientControlNumber',
      'statusCode',
      'chargeAmount',
      'paidAmount',
      'payerClaimControlNumber',
      'patientResponsibility',
      'claimFilingIndicator',
      'facilityTypeCode',
      'frequencyCode',
      'patient',
      'renderingProviderNpi',
      'servicePeriod',
      'serviceLinePayments',
    ]);
    expect(Object.keys(paid!.serviceLinePayments![0]!)).toEqual(['procedure', 'chargeAmount', 'paidAmount', 'units', 'serviceDate', 'adjustments', 'lineControlNumber', 'allowedAmount']);
    expect(Object.keys(paid!.servicePeriod!)).toEqual(['start', 'end']);
    expect(Object.keys(paid!.patient!)).toEqual(['name', 'memberId']);
    // A payer that sends the period's end first gets it back in that order.
    const text = readFileSync(FIXTURE, 'utf8');
    const swapped = text.replace(/(DTM\*232\*\d{8})(~\s*)(DTM\*233\*\d{8})/, '$3$2$1');
    expect(swapped).not.toBe(text);
    const [reordered] = await sets(swapped);
    expect(Object.keys(mapRemittance835(reordered!).remittance!.claimPayments[0]!.servicePeriod!)).toEqual(['end', 'start']);
    expect(structuredClone(remittance)).toEqual(remittance);
    expect(JSON.parse(JSON.stringify(remittance))).toEqual(remittance);
  });

  it('maps a payer that uses other delimiters to the same remittance', async () => {
    const text = readFileSync(FIXTURE, 'utf8');
    const [segments] = await sets(text);
    // ISA16 ':' becomes '>', elements are separated by '|', segments end with a newline.
    const other = text.replaceAll('*', '|').replaceAll(':', '>').replaceAll('~\n', '\n');
    const [otherSegments] = await sets(other);
    expect(otherSegments![0]!.delimiters).toMatchObject({ element: '|', component: '>', segment: '\n' });
    expect(mapRemittance835(otherSegments!)).toEqual(mapRemittance835(segments!));
  });

  it('maps a payment read from many small chunks, or from plain segments, to the same Remittance as from one chunk', async () => {
    // Large enough that its claims are read back in several pieces.
    const synthetic = buildInterchange({ ...options835(1), lineBreaks: true }, [remittance835Body(1200)]);
    for (const text of [readFileSync(FIXTURE, 'latin1'), synthetic]) {
      const bytes = Buffer.from(text, 'latin1');
      const [whole] = await sets(text);
      const expected = mapRemittance835(whole!);
      expect(expected.problems).toEqual([]);
      const json = JSON.stringify(expected);
      for (const size of [1, 7, 100, 4096, 65536]) {
        const parts: Buffer[] = [];
        for (let at = 0; at < bytes.length; at += size) parts.push(bytes.subarray(at, at + size));
        const segments: Segment[] = [];
        for await (const batch of readSegmentBatches(Readable.from(parts))) segments.push(...batch);
        const set = segments.slice(segments.findIndex((seg) => seg.id === 'ST'), segments.findIndex((seg) => seg.id === 'SE') + 1);
        const mapped = mapRemittance835(set);
        expect(mapped).toEqual(expected);
        // Key order too.
        expect(JSON.stringify(mapped)).toBe(json);
      }
      const [again] = await sets(text);
      const plain = again!.map((seg, i) => (i % 2 ? { id: seg.id, elements: [...seg.elements], index: seg.index, offset: seg.offset, delimiters: seg.delimiters } : seg));
      expect(JSON.stringify(mapRemittance835(plain))).toBe(json);
    }
  });

  it('reads BPR and TRN wherever they come, after the first claim too', async () => {
    const text = buildInterchange(options835(1), [remittance835Body(1200)]);
    const [segments] = await sets(text);
    const expected = mapRemittance835(segments!);
    const [moved] = await sets(text);
    const header = moved!.filter((seg) => seg.id === 'BPR' || seg.id === 'TRN');
    const rest = moved!.filter((seg) => seg.id !== 'BPR' && seg.id !== 'TRN');
    const firstClaim = rest.findIndex((seg) => seg.id === 'CLP');
    expect(mapRemittance835([...rest.slice(0, firstClaim + 1), ...header, ...rest.slice(firstClaim + 1)])).toEqual(expected);
  });

  it('maps one transaction set per builder: finish() hands the claims over once', async () => {
    const [segments] = await sets(readFileSync(FIXTURE, 'utf8'));
    const builder = new Remittance835Builder();
    for (const segment of segments!) builder.push(segment);
    expect(builder.finish().remittance!.claimPayments).toHaveLength(4);
    expect(() => builder.finish()).toThrowError(/finish\(\) has been called/);
    expect(() => builder.push(segments![0]!)).toThrowError(/finish\(\) has been called/);
  });

  it('says what is missing rather than guessing when BPR or TRN is absent', async () => {
    const text = readFileSync(FIXTURE, 'utf8').replace(/TRN\*[^~]*~\n?/, '');
    const [segments] = await sets(text);
    const { remittance, problems } = mapRemittance835(segments!);
    expect(remittance).toBeUndefined();
    expect(problems.join('\n')).toMatch(/an 835 needs BPR and TRN/);
  });
});
