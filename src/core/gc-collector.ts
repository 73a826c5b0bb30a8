// What `nsbox gc` asks of each kind of leftover (sandbox records, cgroups, network records ...):
// a collector finds what a killed run left behind, each leftover removes itself (or, for what
// someone else removed from under a live object of nsbox's, puts itself back).

export interface Leftover {
  /** What it is, for the report: `sandbox record web (pid 123, gone)`. */
  what: string;
  /** Removes it; for a leftover that is a gap (`restores`), fills it in. */
  remove(): void;
  /** Something nsbox made that is missing and is put back (a flushed zone table), not removed. */
  restores?: boolean;
  /**
   * The pid of the run that made it (nsbox run's, which is its sandbox's supervisor), where the
   * record names one: `nsbox gc --pid` collects only that run's leftovers.
   */
  pid?: number;
}

export interface Collector {
  /** The kind, as `nsbox gc --only` names it (`cgroups`). */
  key: string;
  name: string;
  find(): Leftover[];
}
