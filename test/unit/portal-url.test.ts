import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { contract } from '../../common/contract';
import { DEMO_PROVISIONING, DEMO_USERS } from '../../common/demo/counter';
import { provisioningSchema } from '../../common/domain';
import { portalUrlError } from '../../common/rules/portal-url';
import { ProvisioningFileError, loadProvisioning } from '../../main/services/provisioning';

const withPortal = (url: string) => ({ ...DEMO_PROVISIONING, portal: { url, deviceToken: 'issued-per-device-by-the-portal' } });

/** The issues the schema gives at `portal.url`. */
function urlProblems(url: string): string[] {
  const r = provisioningSchema.safeParse(withPortal(url));
  return r.success ? [] : r.error.issues.filter((i) => i.path.join('.') === 'portal.url').map((i) => i.message);
}

describe('the portal URL', () => {
  it.each([
    'https://sync.portal.example.in',
    'https://sync.portal.example.in:8443/v1',
    'https://10.0.0.5',
    'http://127.0.0.1:8787',
    'http://127.3.4.5:8787',
    'http://localhost:8787',
    'http://LOCALHOST:8787/',
    'http://[::1]:8787',
  ])('takes %s', (url) => {
    expect(portalUrlError(url)).toBeNull();
    expect(urlProblems(url)).toEqual([]);
  });

  it.each([
    // the device token and full ID numbers would cross the network in clear text
    'http://sync.portal.example.in',
    'http://192.168.1.20:8787',
    'http://10.0.0.5',
    'http://localhost.portal.example.in',
    'http://127.0.0.1.nip.io',
    'http://[::ffff:808:808]/',
    'http://[fe80::1]/',
    'ftp://sync.portal.example.in',
    'ws://127.0.0.1:8787',
  ])('refuses %s with its own code', (url) => {
    expect(portalUrlError(url)).toBe('portal_url_https');
    expect(urlProblems(url)).toEqual(['portal_url_https']);
  });

  it('leaves a text that is no URL to the URL check', () => {
    expect(portalUrlError('not a url')).toBeNull();
    expect(urlProblems('not a url')).toHaveLength(1);
    expect(urlProblems('not a url')).not.toContain('portal_url_https');
  });

  it('is refused on the first-run screen, whose request is checked with the same schema', () => {
    const request = (url: string) =>
      contract.provision.request.safeParse({ provisioning: withPortal(url), supervisor: DEMO_USERS.supervisor });
    const refused = request('http://sync.portal.example.in');
    expect(refused.success).toBe(false);
    expect(refused.error?.issues.filter((i) => i.path.join('.') === 'provisioning.portal.url').map((i) => i.message)).toEqual([
      'portal_url_https',
    ]);
    const taken = request('https://sync.portal.example.in');
    expect(taken.error?.issues.filter((i) => i.path.join('.').startsWith('provisioning.portal')) ?? []).toEqual([]);
  });
});

describe('a provisioning file with the portal URL', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'provisioning-portal-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, url: string) => {
    const f = path.join(dir, name);
    writeFileSync(f, JSON.stringify(withPortal(url), null, 2));
    return f;
  };

  it('in http to another host is refused when the counter starts, naming the field and the reason', () => {
    const f = file('remote-http.json', 'http://sync.portal.example.in');
    let error: unknown;
    try {
      loadProvisioning(f);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProvisioningFileError);
    expect((error as ProvisioningFileError).problems).toEqual(['portal.url: portal_url_https']);
  });

  it('in https, or in http to this PC, is taken', () => {
    expect(loadProvisioning(file('remote-https.json', 'https://sync.portal.example.in'))?.portal?.url).toBe(
      'https://sync.portal.example.in',
    );
    expect(loadProvisioning(file('local-http.json', 'http://127.0.0.1:8787'))?.portal?.url).toBe('http://127.0.0.1:8787');
  });
});
