// --log FILE [--log-max SIZE]: the payload's stdout and stderr kept in FILE by the stage's
// supervisor, which rotates it (FILE → FILE.1) so that FILE and FILE.1 together never pass
// SIZE. Pure: the names, limits and the one line that describes it.
/** The default cap on disk, both generations together: a few MiB of a web server's requests. */
export const DEFAULT_LOG_MAX = 8 * 1024 * 1024;
/** Below this a generation would hold only a few lines. */
export const MIN_LOG_MAX = 64 * 1024;
/** The longest file name the stage takes (WIRE.md `log`: FILE.1 and FILE.new must stay names). */
export const MAX_LOG_NAME = 200;
/** The characters of a log's file name (the stage's wire word). */
export const LOG_NAME = /^[A-Za-z0-9_.-]+$/;

/** What is wrong with FILE as a log's path, or undefined. */
export function logPathProblem(path: string): string | undefined {
  const name = path.slice(path.lastIndexOf("/") + 1);
  if (name.length > MAX_LOG_NAME) return `its file name is longer than ${MAX_LOG_NAME} bytes`;
  if (!LOG_NAME.test(name)) return `its file name '${name}' may hold only letters, digits, '_', '.' and '-'`;
  return undefined;
}

/** The older generation's name (what the supervisor renames a full log to). */
export const rotatedLog = (path: string) => `${path}.1`;

/** Bytes of one generation: two of them make the cap. */
export const generationBytes = (maxBytes: number) => Math.floor(maxBytes / 2);

export function describeLog(log: { path: string; maxBytes: number }): string {
  return `output: stdout and stderr to ${log.path} (written by the supervisor; at ${generationBytes(log.maxBytes)} bytes it becomes ${rotatedLog(log.path)}: at most ${log.maxBytes} bytes on disk)`;
}
