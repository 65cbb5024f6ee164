import type { Logger } from './syncs/sync-runner.js';

/** What services need of the process logger (pino): child loggers with `(object, message)` calls. */
export interface BaseLogger {
  child(bindings: Record<string, unknown>): BaseLogger;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** The one logger, as a component's `(message, data)` logger (a pino child tagged with the component). */
export function componentLogger(base: BaseLogger, component: string): Logger {
  const l = base.child({ component });
  return {
    info: (msg, data) => l.info(data ?? {}, msg),
    warn: (msg, data) => l.warn(data ?? {}, msg),
    error: (msg, data) => l.error(data ?? {}, msg),
  };
}

/** `(message, error)` for services that report a failure with its error object. */
export function errorLogger(base: BaseLogger, component: string): (msg: string, err?: unknown) => void {
  const l = base.child({ component });
  return (msg, err) => l.error(err === undefined ? {} : { err }, msg);
}
