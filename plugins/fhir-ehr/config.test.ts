import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../core/sdk/index.js';
import { createPluginHarness } from '../../core/sdk/testkit.js';
import fhirEhr from './index.js';

const base = { baseUrl: 'https://ehr.example/fhir/r4', externalSystem: 'riverside-epic', mrnSystems: ['http://hospital.smarthealthit.org'] };

async function configError(config: Record<string, unknown>): Promise<ConfigurationError> {
  try {
    await createPluginHarness(fhirEhr, { config });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error('expected the config to be refused');
}

describe('fhir-ehr config', { timeout: 60_000 }, () => {
  it('fills the defaults: auto mode, the seven mapped types, a five-minute overlap', async () => {
    const hub = await createPluginHarness(fhirEhr, { config: base });
    await hub.close();
    expect(fhirEhr.config.properties.mode.default).toBe('auto');
    expect(fhirEhr.config.properties.resources.default).toEqual(['Patient', 'Practitioner', 'Organization', 'Location', 'Coverage', 'Encounter', 'Claim']);
    expect(fhirEhr.config.properties.overlap.default).toBe('5m');
  });

  it('marks every credential secret', () => {
    const branches = fhirEhr.config.properties.auth.anyOf as Array<{ properties: Record<string, Record<string, unknown>> }>;
    const secrets = branches.flatMap((branch) => Object.entries(branch.properties).filter(([, field]) => field['x-secret'] === true).map(([name]) => name));
    expect(secrets.sort()).toEqual(['clientSecret', 'privateKey', 'token']);
  });

  it('names each field that breaks a cross-field rule', async () => {
    const error = await configError({ ...base, resources: ['Patient', 'Encountr'], mode: 'search', group: 'panel', overlap: '2d' });
    expect(error.issues.map((issue) => issue.path)).toEqual(['/config/resources/1', '/config/group', '/config/overlap']);
    expect(error.message).toContain('did you mean "Encounter"?');
  });

  it('refuses an unknown auth kind and a missing MRN system', async () => {
    const error = await configError({ ...base, mrnSystems: [], auth: { kind: 'password', user: 'x' } });
    expect(error.issues.map((issue) => issue.path)).toEqual(expect.arrayContaining(['/config/mrnSystems', '/config/auth']));
  });
});
