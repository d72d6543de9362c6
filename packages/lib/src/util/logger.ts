/** The optional logger every ostk library accepts (pino-compatible: object first, message second). */
export interface Logger {
  debug?(obj: object, msg?: string): void;
  info?(obj: object, msg?: string): void;
  warn?(obj: object, msg?: string): void;
  error?(obj: object, msg?: string): void;
}

export const silentLogger: Logger = {};
