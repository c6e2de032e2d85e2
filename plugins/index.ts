import type { BuiltinPlugins } from '../core/runtime/plugin-loader.js';

/** The plugins that ship with the hub, by the name YAML uses. */
export const builtinPlugins: BuiltinPlugins = {
  mapped: () => import('./mapped/index.js'),
  clearinghouse: () => import('./clearinghouse/index.js'),
  'clearinghouse-simulator': () => import('./clearinghouse/simulator.js'),
  'fhir-ehr': () => import('./fhir-ehr/index.js'),
};
