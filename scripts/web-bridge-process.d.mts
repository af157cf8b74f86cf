import type { ChildProcess } from 'node:child_process';

export interface LaunchUrl {
  /** the bare address plus `?token=...`: works once */
  launchUrl: string;
  /** the bare address, `http://127.0.0.1:<port>/` */
  url: string;
  port: number;
}

export interface WebBridgeProcess extends LaunchUrl {
  child: ChildProcess;
  stop(): Promise<void>;
}

export interface BridgeSession {
  url: string;
  cookie: { name: string; value: string };
  call(method: string, request: unknown, options?: { timeoutMs?: number }): Promise<unknown>;
}

export function parseLaunchUrl(text: string): LaunchUrl | null;
export function waitForLaunchUrl(
  child: ChildProcess,
  options?: { timeoutMs?: number; what?: string; onOutput?: (chunk: Buffer) => void },
): Promise<LaunchUrl>;
export function spawnWebBridge(options?: {
  args?: string[];
  env?: NodeJS.ProcessEnv;
  ipc?: boolean;
  stderr?: 'pipe' | 'inherit';
}): ChildProcess;
export function startWebBridgeProcess(options?: {
  args?: string[];
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  ipc?: boolean;
  stderr?: 'pipe' | 'inherit';
  onOutput?: (chunk: Buffer) => void;
}): Promise<WebBridgeProcess>;
export function openBridgeSession(launchUrl: string): Promise<BridgeSession>;
