import pino from 'pino';

export type Logger = pino.Logger;

/**
 * Structured JSON logs (pino). Logs never carry full ID numbers, mobiles or PINs: they name
 * records by UUID or token.
 */
export function createLogger(options: { level?: string; destination?: string } = {}): Logger {
  const level = options.level ?? process.env.COUNTER_LOG_LEVEL ?? 'info';
  if (options.destination) {
    return pino({ level }, pino.destination({ dest: options.destination, mkdir: true, sync: false }));
  }
  return pino({ level });
}

export const silentLogger = (): Logger => pino({ level: 'silent' });
