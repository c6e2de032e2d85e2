/**
 * A small real FHIR server for the fhir bench: node:http on 127.0.0.1 and a free port, serving a
 * generated export by the Bulk Data protocol (IG 2.0): a CapabilityStatement that advertises
 * system-level `$export`, the kick-off answered `202 Accepted` with a Content-Location, a status
 * URL that says "in progress" once and then returns the manifest, and the NDJSON files streamed
 * from disk. It runs in the bench's parent process, so the hub under test (a child) pays only for
 * what a hub pays for: the network and what it does with the bytes.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import type { GeneratedExport } from './fhir-data.js';

export interface BulkExportServer {
  /** FHIR base URL, e.g. `http://127.0.0.1:40123/fhir`. */
  baseUrl: string;
  /** Export jobs started, and NDJSON files served, so the bench can check the real path ran. */
  stats: { kickOffs: number; statusPolls: number; filesServed: number; bytesServed: number };
  close(): Promise<void>;
}

const JSON_TYPE = 'application/fhir+json';

export async function startBulkExportServer(data: GeneratedExport): Promise<BulkExportServer> {
  const stats = { kickOffs: 0, statusPolls: 0, filesServed: 0, bytesServed: 0 };
  const jobs = new Map<string, { polls: number; transactionTime: string; types: string[] }>();
  const files = new Map(data.files.map((file) => [`${file.type}.000.ndjson`, file]));
  let base = '';

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };
  const outcome = (res: ServerResponse, status: number, code: string, diagnostics: string) =>
    json(res, status, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', base);
    const path = url.pathname;
    if (req.method === 'GET' && path === '/fhir/metadata') {
      return json(res, 200, capabilityStatement(data.files.map((f) => f.type)));
    }
    if (req.method === 'GET' && path === '/fhir/$export') {
      if (req.headers.prefer !== 'respond-async') return outcome(res, 400, 'invalid', 'Prefer: respond-async is required');
      const requested = url.searchParams.get('_type')?.split(',') ?? data.files.map((f) => f.type);
      const id = randomBytes(8).toString('hex');
      jobs.set(id, { polls: 0, transactionTime: new Date().toISOString(), types: requested });
      stats.kickOffs++;
      res.writeHead(202, { 'content-location': `${base}/fhir/bulkstatus/${id}` });
      res.end();
      return;
    }
    const status = /^\/fhir\/bulkstatus\/([0-9a-f]+)$/.exec(path);
    if (status) {
      const job = jobs.get(status[1]!);
      if (!job) return outcome(res, 404, 'not-found', 'no such export job');
      if (req.method === 'DELETE') {
        jobs.delete(status[1]!);
        res.writeHead(202);
        res.end();
        return;
      }
      stats.statusPolls++;
      // In progress once, as real servers answer the first poll; Retry-After 0 keeps the bench
      // about the hub's ingest rather than about the poll interval.
      if (job.polls++ === 0) {
        res.writeHead(202, { 'x-progress': 'exporting', 'retry-after': '0' });
        res.end();
        return;
      }
      return json(res, 200, {
        transactionTime: job.transactionTime,
        request: `${base}/fhir/$export?_type=${job.types.join(',')}`,
        requiresAccessToken: false,
        output: data.files
          .filter((f) => job.types.includes(f.type))
          .map((f) => ({ type: f.type, url: `${base}/fhir/files/${f.type}.000.ndjson`, count: f.count })),
        error: [],
      });
    }
    const download = /^\/fhir\/files\/([A-Za-z]+\.000\.ndjson)$/.exec(path);
    if (req.method === 'GET' && download) {
      const file = files.get(download[1]!);
      if (!file) return outcome(res, 404, 'not-found', 'no such file');
      stats.filesServed++;
      stats.bytesServed += file.bytes;
      res.writeHead(200, { 'content-type': 'application/fhir+ndjson', 'content-length': file.bytes });
      // Streamed from disk: the server holds a chunk at a time, whatever the file's size.
      await pipeline(createReadStream(file.path, { highWaterMark: 64 * 1024 }), res);
      return;
    }
    outcome(res, 404, 'not-supported', 'not served by the bench server');
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) outcome(res, 500, 'exception', (error as Error).message);
      else res.destroy(error as Error);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    baseUrl: `${base}/fhir`,
    stats,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

function capabilityStatement(types: string[]) {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2024-06-01',
    kind: 'instance',
    fhirVersion: '4.0.1',
    format: ['json'],
    software: { name: 'hub bench bulk server', version: '1.0.0' },
    rest: [
      {
        mode: 'server',
        resource: types.map((type) => ({
          type,
          interaction: [{ code: 'read' }, { code: 'search-type' }],
          searchParam: [{ name: '_lastUpdated', type: 'date' }],
        })),
        operation: [{ name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export' }],
      },
    ],
  };
}
