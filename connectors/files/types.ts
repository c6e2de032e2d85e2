import type { Readable } from 'node:stream';

/** A file as a transport lists it. `path` is relative to the transport's root, with `/` separators. */
export interface FileInfo {
  path: string;
  name: string;
  size: number;
  modifiedAt: Date;
}

export interface ListOptions {
  /** Only names matching this glob (`*.csv`, `*.{ndjson,jsonl}`); default all files. */
  pattern?: string;
}

/**
 * The one interface every file transport shares (a local folder, SFTP). Paths are relative to the
 * transport's root; a transport never lets a path escape that root.
 */
export interface FileTransport {
  /** Where it points, for logs (no credentials). */
  readonly description: string;
  /** Folder (relative to the root) processed inbound files are moved to; absent: they stay where they are. */
  readonly archiveFolder?: string;
  /** Folder (relative to the root) files that fail are moved to, with a `.reason.txt` beside them. */
  readonly quarantineFolder?: string;
  /** Files (not folders) directly inside `folder` (default: the root), sorted by name. */
  list(folder?: string, options?: ListOptions): Promise<FileInfo[]>;
  read(path: string): Promise<Buffer>;
  readStream(path: string): Promise<Readable>;
  /** Writes to a temporary name, then renames, so a reader never sees half a file. */
  write(path: string, data: Buffer | string): Promise<void>;
  /** Moves a file, creating the target folder; an existing target gets a unique suffix rather than being overwritten. */
  move(from: string, to: string): Promise<string>;
  exists(path: string): Promise<boolean>;
  close(): Promise<void>;
}
