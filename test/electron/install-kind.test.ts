import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectInstallKind, inAppUpdatesAllowed, INSTALL_KINDS, type InstallKindInput } from '../../main/electron/install-kind';

function input(over: Partial<InstallKindInput> & { files?: string[] }): InstallKindInput {
  const files = new Set(over.files ?? []);
  return {
    platform: 'linux',
    isPackaged: true,
    env: {},
    resourcesPath: '/opt/Registration Counter/resources',
    execPath: '/opt/Registration Counter/registration-counter',
    fileExists: (p) => files.has(p),
    ...over,
  };
}

const NSIS_DIR = 'C:\\Users\\op\\AppData\\Local\\Programs\\Registration Counter';
const MSI_DIR = 'C:\\Program Files\\Registration Counter';

describe('detectInstallKind', () => {
  it('a copy run from the source tree is dev, on every platform', () => {
    for (const platform of ['linux', 'win32', 'darwin'] as const) {
      expect(detectInstallKind(input({ platform, isPackaged: false, env: { APPIMAGE: '/x.AppImage' } }))).toBe('dev');
    }
  });

  it('Windows with the NSIS uninstaller beside the executable is nsis', () => {
    const kind = detectInstallKind(
      input({
        platform: 'win32',
        execPath: `${NSIS_DIR}\\Registration Counter.exe`,
        resourcesPath: `${NSIS_DIR}\\resources`,
        files: [`${NSIS_DIR}\\Uninstall Registration Counter.exe`, `${NSIS_DIR}\\resources\\app-update.yml`],
      }),
    );
    expect(kind).toBe('nsis');
  });

  it('Windows without that uninstaller is msi, even when app-update.yml was packed (shared unpacked folder)', () => {
    const kind = detectInstallKind(
      input({
        platform: 'win32',
        execPath: `${MSI_DIR}\\Registration Counter.exe`,
        resourcesPath: `${MSI_DIR}\\resources`,
        files: [`${MSI_DIR}\\resources\\app-update.yml`],
      }),
    );
    expect(kind).toBe('msi');
  });

  it('the NSIS uninstaller of another product does not count', () => {
    const kind = detectInstallKind(
      input({
        platform: 'win32',
        execPath: `${MSI_DIR}\\Registration Counter.exe`,
        files: [`${MSI_DIR}\\Uninstall Other.exe`],
      }),
    );
    expect(kind).toBe('msi');
  });

  it('Linux with APPIMAGE set is appimage, even if a deb build left package-type in the resources', () => {
    const kind = detectInstallKind(
      input({
        env: { APPIMAGE: '/home/op/Registration-Counter.AppImage' },
        resourcesPath: '/tmp/.mount_RegistXYZ/resources',
        files: ['/tmp/.mount_RegistXYZ/resources/package-type'],
      }),
    );
    expect(kind).toBe('appimage');
  });

  it('Linux without APPIMAGE (deb under /opt, or an empty APPIMAGE) is deb', () => {
    expect(detectInstallKind(input({ files: ['/opt/Registration Counter/resources/package-type'] }))).toBe('deb');
    expect(detectInstallKind(input({ env: { APPIMAGE: ' ' } }))).toBe('deb');
    expect(detectInstallKind(input({ resourcesPath: '/srv/counter/resources', execPath: '/srv/counter/x' }))).toBe('deb');
  });

  it('an unknown platform never updates itself', () => {
    const kind = detectInstallKind(input({ platform: 'darwin' }));
    expect(inAppUpdatesAllowed(kind)).toBe(false);
  });
});

describe('inAppUpdatesAllowed', () => {
  it('only the per-user NSIS installation and the AppImage update themselves', () => {
    const allowed = INSTALL_KINDS.filter((k) => inAppUpdatesAllowed(k));
    expect(allowed).toEqual(['nsis', 'appimage']);
  });
});

describe("what electron-builder's installers leave behind (the installed app-builder-lib)", () => {
  const lib = dirname(createRequire(import.meta.url).resolve('app-builder-lib/package.json'));
  const read = (rel: string) => readFileSync(join(lib, rel), 'utf8');

  it('the NSIS installer writes "Uninstall <product>.exe" into the install folder, beside "<product>.exe"', () => {
    expect(read('templates/nsis/common.nsh')).toContain('!define UNINSTALL_FILENAME "Uninstall ${PRODUCT_FILENAME}.exe"');
    expect(read('templates/nsis/include/installer.nsh')).toContain(
      'File "/oname=${UNINSTALL_FILENAME}" "${UNINSTALLER_OUT_FILE}"',
    );
  });

  it('app-update.yml is written for NSIS into the unpacked folder the MSI shares, so it cannot tell them apart', () => {
    const publish = read('out/publish/PublishManager.js');
    expect(publish).toMatch(/target\.name === "nsis"/);
    expect(publish).toContain('getResourcesDir(event.appOutDir), "app-update.yml"');
    expect(read('out/targets/MsiTarget.js')).not.toContain('app-update.yml');
  });

  it('the deb installs under /opt and marks itself with resources/package-type, in the folder the AppImage also packs', () => {
    expect(read('out/targets/LinuxTargetHelper.js')).toContain('exports.installPrefix = "/opt"');
    const fpm = read('out/targets/FpmTarget.js');
    expect(fpm).toContain('path.join(resourceDir, "package-type"), target');
    expect(fpm).toContain('`linux${(0, builder_util_1.getArchSuffix)(arch)}-unpacked`');
  });
});
