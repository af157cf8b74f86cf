/**
 * How this copy of the counter was installed, and whether it may update itself. Pure (no
 * Electron import): the main process passes what it knows (platform, environment, where its
 * resources and executable are) and a way to ask whether a file exists.
 *
 * What each installer leaves behind (electron-builder 26, app-builder-lib):
 * - AppImage: the AppImage runtime sets APPIMAGE (the path of the .AppImage file) for the app.
 * - deb: the deb target writes `resources/package-type` containing `deb` (electron-updater reads
 *   it to pick its deb updater, which needs root) and installs under `/opt/<product>/`. The deb
 *   and AppImage targets share one unpacked folder, so a deb built first can leave
 *   `package-type` inside the AppImage too: only APPIMAGE is trusted, and every other packaged
 *   Linux copy counts as deb (IT-managed).
 * - NSIS: the installer puts `Uninstall <product>.exe` beside the app's executable.
 * - MSI: no uninstaller file (Windows Installer keeps it); `app-update.yml` may still be in the
 *   resources, because the NSIS and MSI targets share one unpacked folder, so it proves nothing.
 * A packaged copy that matches none of these is treated as IT-managed (no in-app updates): an
 * update meant for another kind of installation must never run over it.
 */
import { win32 } from 'node:path';

export const INSTALL_KINDS = ['nsis', 'msi', 'appimage', 'deb', 'dev'] as const;
export type InstallKind = (typeof INSTALL_KINDS)[number];

export interface InstallKindInput {
  /** process.platform */
  platform: NodeJS.Platform;
  /** app.isPackaged: false when run from the source tree (`npm start`) */
  isPackaged: boolean;
  /** process.env (APPIMAGE is read) */
  env: Readonly<Record<string, string | undefined>>;
  /** process.resourcesPath: the folder that holds app.asar */
  resourcesPath: string;
  /** process.execPath: the app's executable */
  execPath: string;
  /** whether a file exists (fs.existsSync in the app; a set of paths in tests) */
  fileExists: (path: string) => boolean;
}

export function detectInstallKind(input: InstallKindInput): InstallKind {
  if (!input.isPackaged) return 'dev';
  if (input.platform === 'win32') {
    const exe = win32.basename(input.execPath, '.exe');
    const uninstaller = win32.join(win32.dirname(input.execPath), `Uninstall ${exe}.exe`);
    return input.fileExists(uninstaller) ? 'nsis' : 'msi';
  }
  if (input.platform === 'linux') {
    const appImage = input.env.APPIMAGE;
    if (appImage !== undefined && appImage.trim() !== '') return 'appimage';
    // deb (package-type "deb", or installed under /opt) and anything else unpacked: IT's tools update it
    return 'deb';
  }
  // other platforms are not shipped; an unknown packaged copy never updates itself
  return 'deb';
}

/**
 * Whether the app may download and install its own updates: only the per-user NSIS
 * installation (installs without an elevation prompt) and the AppImage (replaces its own file).
 * MSI and .deb installations are updated by IT's deployment tools; a copy run from the source
 * tree is never updated.
 */
export function inAppUpdatesAllowed(kind: InstallKind): boolean {
  return kind === 'nsis' || kind === 'appimage';
}
