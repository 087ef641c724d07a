import type { NativeErrorFields } from './types.js';

/**
 * A failed syscall in the native addon. Built by the addon's one error helper;
 * message reads like `exec: execve /bin/nosuch: No such file or directory (ENOENT)`.
 */
export class NativeError extends Error {
  code: string;
  errno: number;
  syscall: string;
  declare path?: string;
  stage: string;

  constructor(message: string, fields: NativeErrorFields) {
    super(message);
    this.name = 'NativeError';
    this.code = fields.code;
    this.errno = fields.errno;
    this.syscall = fields.syscall;
    if (fields.path !== undefined) this.path = fields.path;
    this.stage = fields.stage;
  }
}
