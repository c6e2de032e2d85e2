import { openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigurationError } from '../errors.js';

/** Says which process holds a PGlite folder, so the caller can talk to it instead. */
export class StoreInUseError extends ConfigurationError {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `the embedded database in ${dataDir} is in use by process ${pid} (a running hub?). PGlite allows one process: ` +
        'stop that process, or use PostgreSQL (DATABASE_URL) to run several hub processes on one store',
    );
  }
}

/**
 * Claims a PGlite folder for this process. Two processes writing one PGlite folder corrupt it, so
 * the claim is a lock file holding the owner's pid; a lock whose process is gone is taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, 'hub.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(readFileSync(file, 'utf8').trim());
      // This very process counts too: two PGlite instances on one folder corrupt it just the same.
      if (pid && isAlive(pid)) throw new StoreInUseError(dataDir, pid);
      // A stale lock (its process died, e.g. SIGKILL): take it over.
      rmSync(file, { force: true });
    }
  }
  throw new ConfigurationError(`could not lock the embedded database in ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
