import * as path from 'node:path';
import { PermanentError } from '../../core/errors.js';

/**
 * Splits a transport-relative path into safe segments; every file transport uses it, so a path is
 * refused alike on a local folder and on SFTP. Any `..`, absolute path or drive letter is refused
 * outright, even when it would land back inside the root: a path like that in a file name or a
 * config value is a mistake or an attack, never a need.
 */
export function relativeSegments(relative: string, allowRoot = false): string[] {
  if (typeof relative !== 'string') {
    throw new PermanentError(`path must be a string, got ${typeof relative}`);
  }
  if (relative.includes('\0')) {
    throw new PermanentError(`path ${JSON.stringify(relative)} contains a NUL byte`);
  }
  if (path.isAbsolute(relative) || /^[\\/]/.test(relative) || /^[a-zA-Z]:/.test(relative)) {
    throw new PermanentError(`path ${JSON.stringify(relative)} is absolute; paths must be relative to the root`);
  }
  const segments = relative.split(/[\\/]+/).filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) {
    throw new PermanentError(`path ${JSON.stringify(relative)} escapes the root`);
  }
  if (segments.length === 0 && !allowRoot) {
    throw new PermanentError(`path ${JSON.stringify(relative)} does not name a file`);
  }
  return segments;
}

/** A target ending in "/" names a folder: the moved file keeps its name there. */
export function moveTargetOf(to: string, sourceName: string): string {
  return typeof to === 'string' && /[\\/]$/.test(to) ? `${to}${sourceName}` : to;
}

/** Our own temp files are dot-files; the suffixes are what common upload tools write while in progress. */
export function isHiddenOrInProgress(name: string): boolean {
  return name.startsWith('.') || name.endsWith('~') || /\.(tmp|part|partial|filepart|crdownload)$/i.test(name);
}

/** The name a write uploads to before renaming: hidden (a dot-file) and unique, in the target's own folder. */
export function temporaryNameFor(name: string, random: string): string {
  return `.${name}.tmp-${random}`;
}

/** Code-unit order, not locale order, so every machine processes a folder in the same order. */
export function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** `prices.csv` → `prices-2.csv`: the name a move tries when the target is taken. */
export function withSuffix(target: string, attempt: number): string {
  if (attempt === 0) return target;
  const extension = path.posix.extname(target);
  const stem = target.slice(0, target.length - extension.length);
  return `${stem}-${attempt}${extension}`;
}
