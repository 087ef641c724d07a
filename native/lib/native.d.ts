// The raw surface of build/Release/berth_native.node (src/addon.cc). Only
// index.ts talks to it; everyone else uses index.ts's typed, validated wrapper.
import type { NativeErrorFields, RunSpec, Spawned, WaitResult } from './types.js';

export interface NativeBinding {
  /** Clones the container on the calling (JS) thread; settles once execve succeeded or setup failed. */
  spawn(spec: RunSpec): Promise<Spawned>;
  /** waitpid(pid) on a dedicated thread. */
  wait(pid: number): Promise<WaitResult>;
  /** kill(pid, signal); throws on failure. */
  kill(pid: number, signal: number): void;
  /** Class the addon instantiates for every syscall failure. */
  setErrorClass(ctor: new (message: string, fields: NativeErrorFields) => Error): void;
}
