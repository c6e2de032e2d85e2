// TEMPORARY profiling client (deleted after use)
import { signHmac } from '../connectors/webhook/hmac.js';
const url = process.argv[2]!; const n = Number(process.argv[3] ?? 20000); const inflight = 32;
const ts = String(Math.floor(Date.now() / 1000)); const tag = Math.random().toString(36).slice(2);
const reqs = Array.from({ length: n }, (_, i) => { const body = JSON.stringify({ id: `E-${tag}-${i}`, event: 'employee.updated', first_name: 'Ana', last_name: 'Rivera', department: 'Revenue Cycle' }); return { body, headers: { 'content-type': 'application/json', 'x-event-id': `evt-${tag}-${i}`, 'x-timestamp': ts, 'x-signature': signHmac({ secret: 'whsec_bench_payroll_5d1f0c', rawBody: body, algorithm: 'sha256', encoding: 'hex', timestamp: ts }) } }; });
let next = 0; let bad = 0; const t = performance.now();
await Promise.all(Array.from({ length: inflight }, async () => { while (next < n) { const r = reqs[next++]!; const res = await fetch(url, { method: 'POST', headers: r.headers, body: r.body }); await res.text(); if (res.status !== 202) bad++; } }));
console.log(`${Math.round(n / ((performance.now() - t) / 1000))} req/s, bad ${bad}`);
