import { randomBytes } from 'node:crypto';
import { constants as fsConstants, type Dirent } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import {
  ConfigurationError,
  NotFoundError,
  PermanentError,
  TransientError,
} from '../../core/errors.js';
import { compileGlob } from './glob.js';
import { byName, isHiddenOrInProgress, moveTargetOf, relativeSegments as segmentsOf, temporaryNameFor, withSuffix } from './paths.js';
import type { FileInfo, FileTransport, ListOptions } from './types.js';

export interface LocalFolderTransportOptions {
  /** The folder every path is relative to; resolved against the working directory. */
  root: string;
  /** Where processed files go, relative to root. */
  archiveFolder?: string;
  /** Where files that fail go, relative to root. */
  quarantineFolder?: string;
}

/**
 * A file transport over a local folder: on-premise drops, the shipped demo and tests. Paths are
 * relative to `root` with `/` separators; one that could reach outside `root` is refused.
 */
export function createLocalFolderTransport(options: LocalFolderTransportOptions): FileTransport {
  if (options === null || typeof options !== 'object') {
    throw new ConfigurationError('local folder transport: options are required', [
      { path: 'root', message: 'is required' },
    ]);
  }
  if (typeof options.root !== 'string' || options.root.trim() === '') {
    throw new ConfigurationError('local folder transport: root must be a non-empty path', [
      { path: 'root', message: 'must be a non-empty path' },
    ]);
  }
  if (options.root.includes('\0')) {
    throw new ConfigurationError('local folder transport: root must not contain NUL bytes', [
      { path: 'root', message: 'must not contain NUL bytes' },
    ]);
  }
  const root = path.resolve(options.root);

  const toAbsolute = (relative: string, allowRoot = false): string =>
    path.join(root, ...segmentsOf(relative, allowRoot));

  /**
   * A symlink dropped into the folder may point anywhere (/etc/shadow, another practice's drop):
   * a file is read only when its real location is inside the root's real location.
   */
  const confined = async (absolute: string, relative: string, operation: string): Promise<void> => {
    let real: string;
    let realRoot: string;
    try {
      [real, realRoot] = await Promise.all([fs.realpath(absolute), fs.realpath(root)]);
    } catch (error) {
      throw fsFailure(operation, relative, error);
    }
    if (real !== realRoot && !real.startsWith(realRoot + path.sep)) {
      throw new PermanentError(`cannot ${operation} ${JSON.stringify(relative)}: it is a link to a place outside the transport's folder`);
    }
  };

  return {
    description: `local folder ${root}`,
    archiveFolder: options.archiveFolder,
    quarantineFolder: options.quarantineFolder,

    async list(folder = '', listOptions: ListOptions = {}): Promise<FileInfo[]> {
      const matcher = listOptions.pattern === undefined ? undefined : compileGlob(listOptions.pattern);
      const folderSegments = segmentsOf(folder, true);
      const absoluteFolder = path.join(root, ...folderSegments);
      let entries: Dirent[];
      try {
        entries = await fs.readdir(absoluteFolder, { withFileTypes: true });
      } catch (error) {
        // write and move create folders on demand, so a folder nobody has written to yet is empty
        // rather than wrong; this keeps a poller quiet until the first file is dropped.
        if (codeOf(error) === 'ENOENT') return [];
        throw fsFailure('list', folder, error);
      }
      const files: FileInfo[] = [];
      for (const entry of entries) {
        if (isHiddenOrInProgress(entry.name)) continue;
        if (matcher && !matcher.test(entry.name)) continue;
        if (!entry.isFile() && !entry.isSymbolicLink()) continue;
        let stats;
        try {
          stats = await fs.stat(path.join(absoluteFolder, entry.name));
        } catch (error) {
          // Another worker may have moved it away between readdir and stat; it is simply gone.
          if (codeOf(error) === 'ENOENT') continue;
          throw fsFailure('list', folder, error);
        }
        if (!stats.isFile()) continue;
        files.push({
          path: [...folderSegments, entry.name].join('/'),
          name: entry.name,
          size: stats.size,
          modifiedAt: stats.mtime,
        });
      }
      return files.sort(byName);
    },

    async read(filePath: string): Promise<Buffer> {
      const absolute = toAbsolute(filePath);
      await confined(absolute, filePath, 'read');
      try {
        return await fs.readFile(absolute);
      } catch (error) {
        throw fsFailure('read', filePath, error);
      }
    },

    async readStream(filePath: string): Promise<Readable> {
      const absolute = toAbsolute(filePath);
      await confined(absolute, filePath, 'read');
      // Opening first turns a missing file into an error here, not a late 'error' event on the stream.
      let handle;
      try {
        handle = await fs.open(absolute, 'r');
      } catch (error) {
        throw fsFailure('read', filePath, error);
      }
      return handle.createReadStream();
    },

    async write(filePath: string, data: Buffer | string): Promise<void> {
      const absolute = toAbsolute(filePath);
      const folder = path.dirname(absolute);
      const temporary = path.join(folder, temporaryNameFor(path.basename(absolute), randomBytes(6).toString('hex')));
      try {
        await fs.mkdir(folder, { recursive: true });
        const handle = await fs.open(temporary, 'wx');
        try {
          await handle.writeFile(data);
          // Flushed before the rename so a crash never leaves a complete-looking name over partial content.
          await handle.sync();
        } finally {
          await handle.close();
        }
        await fs.rename(temporary, absolute);
      } catch (error) {
        await fs.rm(temporary, { force: true }).catch(() => undefined);
        throw fsFailure('write', filePath, error);
      }
    },

    async move(from: string, to: string): Promise<string> {
      const source = toAbsolute(from);
      const targetRelative = moveTargetOf(to, path.basename(source));
      const targetSegments = segmentsOf(targetRelative);
      const target = path.join(root, ...targetSegments);
      if (source === target) {
        if (!(await pathExists(source, from))) throw fsFailure('move', from, enoent(source));
        return targetSegments.join('/');
      }
      try {
        await fs.mkdir(path.dirname(target), { recursive: true });
      } catch (error) {
        throw fsFailure('move', to, error);
      }
      for (let attempt = 0; ; attempt++) {
        const candidate = withSuffix(target, attempt);
        try {
          await placeWithoutOverwrite(source, candidate);
        } catch (error) {
          if (codeOf(error) === 'EEXIST') continue;
          throw fsFailure('move', from, error);
        }
        return path.relative(root, candidate).split(path.sep).join('/');
      }
    },

    async exists(filePath: string): Promise<boolean> {
      return pathExists(toAbsolute(filePath), filePath);
    },

    async close(): Promise<void> {
      // Nothing is held open between calls.
    },
  };
}

/**
 * Places `source` at `target` only if `target` does not exist. A hard link fails atomically with
 * EEXIST, which a check-then-rename cannot promise when two workers archive at once. Where links
 * are not possible (another device, some network filesystems) an exclusive copy does the same.
 */
async function placeWithoutOverwrite(source: string, target: string): Promise<void> {
  try {
    await fs.link(source, target);
  } catch (error) {
    const code = codeOf(error);
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error;
    await fs.copyFile(source, target, fsConstants.COPYFILE_EXCL);
  }
  await fs.unlink(source);
}

async function pathExists(absolute: string, relative: string): Promise<boolean> {
  try {
    await fs.stat(absolute);
    return true;
  } catch (error) {
    if (codeOf(error) === 'ENOENT' || codeOf(error) === 'ENOTDIR') return false;
    throw fsFailure('stat', relative, error);
  }
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function enoent(absolute: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOENT: no such file or directory, '${absolute}'`), { code: 'ENOENT' });
}

const PERMANENT_FS_CODES = new Set(['EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'ENAMETOOLONG', 'EROFS', 'ELOOP']);

/** Classifies a filesystem error: gone, never going to work, or worth another try (disk full, too many open files). */
function fsFailure(operation: string, relative: string, error: unknown): Error {
  const code = codeOf(error);
  const where = JSON.stringify(relative);
  if (code === 'ENOENT') return new NotFoundError(`cannot ${operation} ${where}: not found`, { cause: error });
  if (code !== undefined && PERMANENT_FS_CODES.has(code)) {
    return new PermanentError(`cannot ${operation} ${where}: ${code}`, { cause: error });
  }
  return new TransientError(`cannot ${operation} ${where}: ${code ?? describe(error)}`, { cause: error });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
