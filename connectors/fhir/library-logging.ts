import { createRequire } from 'node:module';

interface DebugModule {
  enabled(namespace: string): boolean;
  enable(namespaces: string): void;
  namespaces?: string;
}

const LIBRARY_NAMESPACES = ['fhir-kit-client:info', 'fhir-kit-client:error'];

let debugModule: DebugModule | undefined;

/**
 * fhir-kit-client logs through `debug` when DEBUG names it (DEBUG=* does): every request URL with
 * its search values (names, birth dates), error bodies, and a dump of the request headers, which
 * holds the bearer token whenever the headers object serialises its entries. Its loggers are
 * switched off here, before each request, whatever DEBUG says; the hub logs requests itself. The
 * `debug` module is the one fhir-kit-client resolves, so this reaches its loggers exactly.
 */
export function silenceLibraryLogging(): void {
  debugModule ??= createRequire(import.meta.resolve('fhir-kit-client'))('debug') as DebugModule;
  if (!LIBRARY_NAMESPACES.some((namespace) => debugModule!.enabled(namespace))) return;
  const current = debugModule.namespaces ?? '';
  debugModule.enable(current ? `${current},-fhir-kit-client:*` : '-fhir-kit-client:*');
}
