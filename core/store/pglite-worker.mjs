// Runs PGlite (PostgreSQL compiled to WASM) in a worker thread, so that SQL work on the embedded
// store never blocks the hub's event loop: webhooks and the API stay responsive during a big sync.
// Plain JavaScript on purpose: a worker does not inherit the tsx loader of the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

/** Only fields that describe the problem: PGlite's own error may carry the statement's values. */
function describe(error) {
  const e = error ?? {};
  const out = { message: typeof e.message === 'string' ? e.message : String(error), name: e.name };
  for (const key of ['code', 'severity', 'detail', 'hint', 'position', 'where', 'schema', 'table', 'column', 'dataType', 'constraint']) {
    if (e[key] !== undefined) out[key] = e[key];
  }
  return out;
}

let db;
try {
  db = workerData.snapshot
    ? await PGlite.create({ loadDataDir: new Blob([workerData.snapshot]) })
    : await PGlite.create(workerData.dataDir);
  // Making a new cluster, for another worker to open: closed cleanly before the thread is stopped.
  if (workerData.initializeOnly) await db.close();
  parentPort.postMessage({ ready: true });
} catch (error) {
  parentPort.postMessage({ ready: false, error: describe(error) });
}

parentPort.on('message', async ({ id, op, sql, params }) => {
  try {
    let result;
    if (op === 'query') result = (await db.query(sql, params)).rows;
    else if (op === 'exec') await db.exec(sql);
    else if (op === 'dump') result = await (await db.dumpDataDir('none')).arrayBuffer();
    else if (op === 'close') {
      if (!db.closed) await db.close();
    } else throw new Error(`unknown operation ${op}`);
    parentPort.postMessage({ id, ok: true, result }, result instanceof ArrayBuffer ? [result] : []);
  } catch (error) {
    parentPort.postMessage({ id, ok: false, error: describe(error) });
  }
});
