import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigurationError, InputError } from '../../core/errors.js';
import { readCsv, type CsvRecord } from './csv.js';

async function collect(iterable: AsyncIterable<CsvRecord>): Promise<CsvRecord[]> {
  const records: CsvRecord[] = [];
  for await (const record of iterable) records.push(record);
  return records;
}

/** Splits content into small chunks so records, quotes, CRLFs and the BOM straddle chunk edges. */
function chunked(content: string | Buffer, size = 7): Readable {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
  const parts: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) parts.push(bytes.subarray(offset, offset + size));
  return Readable.from(parts);
}

// What a medical-surgical distributor's monthly price file looks like when exported from Excel on
// Windows: BOM, CRLF, padded headers, quoted commas, a description spanning two lines, a blank line
// and one row someone edited by hand.
const priceList = [
  '\uFEFFSupplier SKU , Description , Manufacturer Part, GTIN , UOM , Pack Qty, Contract Price ',
  'MS-44012,"Glove, exam, nitrile, powder-free, medium",N8832,00612479112345,BX,100,8.95',
  'MS-44013,"Glove, exam, nitrile, powder-free, large",N8833,00612479112352,BX,100,8.95',
  '',
  'MS-10220,"Gauze sponge 4""x4"", 12-ply,',
  'sterile, 2/pack",G4412,00612479220011,CS,1200,"1,104.00"',
  'MS-30001,Syringe 3mL luer-lock,S3001,00612479300013,BX,100,14.20,DISCONTINUED',
  'MS-30002,Needle 25G x 1in,N2510,00612479300020,BX,100,6.75',
  '',
].join('\r\n');

describe('readCsv', () => {
  it('reads a supplier price list: BOM, trimmed headers, quoted commas and line breaks, one bad row reported', async () => {
    const records = await collect(readCsv(chunked(priceList)));

    expect(records).toEqual([
      {
        line: 2,
        value: {
          'Supplier SKU': 'MS-44012',
          Description: 'Glove, exam, nitrile, powder-free, medium',
          'Manufacturer Part': 'N8832',
          GTIN: '00612479112345',
          UOM: 'BX',
          'Pack Qty': '100',
          'Contract Price': '8.95',
        },
      },
      expect.objectContaining({ line: 3, value: expect.objectContaining({ 'Supplier SKU': 'MS-44013' }) }),
      {
        line: 5,
        value: {
          'Supplier SKU': 'MS-10220',
          Description: 'Gauze sponge 4"x4", 12-ply,\nsterile, 2/pack',
          'Manufacturer Part': 'G4412',
          GTIN: '00612479220011',
          UOM: 'CS',
          'Pack Qty': '1200',
          'Contract Price': '1,104.00',
        },
      },
      { line: 7, error: 'expected 7 fields as in the header, got 8' },
      expect.objectContaining({ line: 8, value: expect.objectContaining({ 'Supplier SKU': 'MS-30002' }) }),
    ]);
  });

  it('reads the same file alike with LF line endings and in one chunk', async () => {
    const lf = await collect(readCsv(Readable.from([priceList.replace(/\r\n/g, '\n')])));
    const crlf = await collect(readCsv(chunked(priceList, 1)));
    expect(lf).toEqual(crlf);
    expect(lf.map((record) => record.line)).toEqual([2, 3, 5, 7, 8]);
  });

  it('reports a short row and keeps going', async () => {
    const csv = 'npi,name,taxonomy\n1234567893,Dr. Ada Example,207Q00000X\n1245319599,Dr. Ben Sample\n1003000126,Dr. Cy Placeholder,208D00000X\n';
    const records = await collect(readCsv(Readable.from([csv])));
    expect(records.map((record) => [record.line, record.value?.npi ?? record.error])).toEqual([
      [2, '1234567893'],
      [3, 'expected 3 fields as in the header, got 2'],
      [4, '1003000126'],
    ]);
  });

  it('keeps a stray quote inside an unquoted field instead of losing the rows after it', async () => {
    const csv = 'sku,description,price\nMS-1,Gauze 4" roll,2.10\nMS-2,Tape,1.00\n';
    const records = await collect(readCsv(Readable.from([csv])));
    expect(records.map((record) => record.value?.description)).toEqual(['Gauze 4" roll', 'Tape']);
  });

  it('reports a quote left open at the end of the file', async () => {
    const csv = 'sku,description\nMS-1,"never closed\nMS-2,Tape\n';
    const records = await collect(readCsv(Readable.from([csv])));
    expect(records).toHaveLength(1);
    expect(records[0].error).toMatch(/Quote Not Closed/);
  });

  it('reads semicolon-delimited files without a header, keyed by position', async () => {
    const csv = 'MS-1;Gauze;2,10\nMS-2;Tape;1,00\nMS-3;Extra;3,00;x\n';
    const records = await collect(readCsv(Readable.from([csv]), { delimiter: ';', header: false }));
    expect(records).toEqual([
      { line: 1, value: { '0': 'MS-1', '1': 'Gauze', '2': '2,10' } },
      { line: 2, value: { '0': 'MS-2', '1': 'Tape', '2': '1,00' } },
      { line: 3, error: 'expected 3 fields as in the first row, got 4' },
    ]);
  });

  it('names empty header cells by position', async () => {
    const records = await collect(readCsv(Readable.from(['sku,,price\nMS-1,note,2.00\n'])));
    expect(records[0].value).toEqual({ sku: 'MS-1', column2: 'note', price: '2.00' });
  });

  it('refuses a header that names a column twice', async () => {
    await expect(collect(readCsv(Readable.from(['sku,price,price\nMS-1,1,2\n'])))).rejects.toThrow(InputError);
    await expect(collect(readCsv(Readable.from(['sku,price,price\n'])))).rejects.toThrow(/"price" appears twice/);
  });

  it('stops on a runaway record rather than holding the file in memory', async () => {
    const csv = `sku,description\nMS-1,"${'x'.repeat(5_000)}`;
    await expect(collect(readCsv(Readable.from([csv]), { maxRecordChars: 1_000 }))).rejects.toThrow(InputError);
  });

  it('surfaces a failing source', async () => {
    const failing = new Readable({
      read() {
        this.push('sku,price\nMS-1,1.00\n');
        this.destroy(new Error('connection reset by SFTP server'));
      },
    });
    await expect(collect(readCsv(failing))).rejects.toThrow('connection reset by SFTP server');
  });

  it('stops reading the source when the consumer stops early', async () => {
    let produced = 0;
    const source = Readable.from(
      (function* () {
        yield 'sku,price\n';
        for (let i = 0; i < 1_000_000; i++) {
          produced++;
          yield `MS-${i},1.00\n`;
        }
      })(),
    );
    for await (const record of readCsv(source)) {
      if (record.line >= 10) break;
    }
    expect(produced).toBeLessThan(100_000);
    expect(source.destroyed).toBe(true);
  });

  it('checks its options, naming them', async () => {
    await expect(collect(readCsv(Readable.from(['']), { delimiter: '' }))).rejects.toThrow(ConfigurationError);
    await expect(collect(readCsv(Readable.from(['']), { delimiter: ';;' }))).rejects.toThrow(/delimiter/);
    await expect(collect(readCsv(Readable.from(['']), { maxRecordChars: 0 }))).rejects.toThrow(/maxRecordChars/);
  });
});
