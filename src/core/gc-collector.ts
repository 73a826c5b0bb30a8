// What `nsbox gc` asks of each kind of leftover (sandbox records, cgroups, network records ...):
// a collector finds what a killed run left behind, each leftover removes itself.

export interface Leftover {
  /** What it is, for the report: `sandbox record web (pid 123, gone)`. */
  what: string;
  remove(): void;
}

export interface Collector {
  name: string;
  find(): Leftover[];
}
