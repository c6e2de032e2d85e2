import { isAbsolute, resolve } from 'node:path';
import { createHttpClient } from '../../connectors/http/client.js';
import { createLocalFolderTransport } from '../../connectors/files/local-folder.js';
import { createSftpTransport } from '../../connectors/sftp/sftp-transport.js';
import type { FileTransport } from '../../connectors/files/types.js';
import type { HttpClient } from '../../connectors/http/types.js';
import type { ConnectorConfig } from '../config/types.js';

/** Opens the file transport a connector's YAML asks for; paths resolve against the config's folder. */
export function openFilesTransport(connector: ConnectorConfig, baseDir: string): FileTransport | undefined {
  const files = connector.transport?.files;
  if (!files) return undefined;
  if (files.kind === 'local') {
    return createLocalFolderTransport({
      root: isAbsolute(files.path) ? files.path : resolve(baseDir, files.path),
      archiveFolder: files.archive,
      quarantineFolder: files.quarantine,
    });
  }
  return createSftpTransport({
    host: files.host,
    port: files.port,
    username: files.username,
    password: files.password,
    privateKey: files.privateKey,
    passphrase: files.passphrase,
    hostKey: files.hostKey,
    root: files.path,
    timeoutMs: files.timeoutMs,
    retries: files.retries,
    archiveFolder: files.archive,
    quarantineFolder: files.quarantine,
  });
}

export function openHttpClient(connector: ConnectorConfig): HttpClient {
  const http = connector.transport?.http;
  return createHttpClient({
    baseUrl: http?.baseUrl,
    headers: http?.headers,
    timeoutMs: http?.timeoutMs,
    retries: http?.retries,
  });
}
