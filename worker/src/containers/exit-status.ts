/** Docker's exit codes for a process that could not be started. */
export const EXIT_NOT_FOUND = 127;
export const EXIT_NOT_EXECUTABLE = 126;
export const EXIT_RUNTIME_ERROR = 125;

/** Docker reports a signal death as 128 + signal. */
export function exitCodeOf(status: { exitCode: number | null; signal: number | null }): number {
  if (status.exitCode !== null) return status.exitCode;
  return 128 + (status.signal ?? 0);
}

interface SpawnFailure {
  code?: string;
  stage?: string;
  path?: string;
  message: string;
}

/** Maps a setup failure to Docker's exit code and a message a user can act on. */
export function describeSpawnFailure(e: SpawnFailure, command: string): { exitCode: number; error: string } {
  if (e.stage === "exec" && e.code === "ENOENT") {
    return { exitCode: EXIT_NOT_FOUND, error: `exec: "${command}": executable file not found in $PATH` };
  }
  if (e.stage === "exec" && (e.code === "EACCES" || e.code === "ENOEXEC")) {
    return { exitCode: EXIT_NOT_EXECUTABLE, error: `exec: "${command}": permission denied or not an executable (${e.message})` };
  }
  return { exitCode: EXIT_RUNTIME_ERROR, error: `container setup failed: ${e.message}` };
}
