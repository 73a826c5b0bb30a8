// What `--quiet` holds of a run's output until the run's status says whether to print it: the
// last QUIET_KEEP bytes of a stream. The sandbox decides how much it writes and nsbox runs as
// root: a job that writes without end must not grow nsbox's memory without bound. The end is
// what is kept, since that is where a failing command says why; what was dropped is counted.

/** Per stream; far more than a mail cron sends is worth reading. */
export const QUIET_KEEP = 4 * 1024 * 1024;

export interface OutputTail {
  chunks: Uint8Array[];
  /** Bytes dropped from the start to keep the rest within the limit. */
  dropped: number;
}

export async function collectTail(stream: AsyncIterable<Uint8Array>, keep: number = QUIET_KEEP): Promise<OutputTail> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let dropped = 0;
  for await (const chunk of stream) {
    chunks.push(chunk);
    size += chunk.length;
    while (size > keep) {
      const over = size - keep;
      const first = chunks[0]!;
      const cut = Math.min(over, first.length);
      if (cut === first.length) chunks.shift();
      else chunks[0] = first.subarray(cut);
      size -= cut;
      dropped += cut;
    }
  }
  return { chunks, dropped };
}
