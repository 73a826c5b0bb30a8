// Parses /proc/PID/mountinfo (proc(5)): where cgroup2 is mounted for `nsbox check`, and which
// namespaces are kept alive by a bind mount (fstype nsfs) for `nsbox ns ls`. Pure.

export interface MountInfo {
  id: number;
  parentId: number;
  /** The path inside the filesystem that is mounted here; for nsfs it names the namespace (`net:[4026532176]`). */
  root: string;
  mountPoint: string;
  options: string;
  fstype: string;
  source: string;
  superOptions: string;
}

// The kernel writes space, tab, newline and backslash in paths as octal escapes (\040 ...).
function unescapeOctal(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** One entry per well-formed line; malformed lines are skipped rather than failing the whole read. */
export function parseMountinfo(text: string): MountInfo[] {
  const mounts: MountInfo[] = [];
  for (const line of text.split("\n")) {
    const fields = line.split(" ");
    // Optional fields (shared:N, master:N) sit between field 6 and the "-" separator.
    const dash = fields.indexOf("-", 6);
    if (dash < 0 || fields.length < dash + 3) continue;
    mounts.push({
      id: Number(fields[0]),
      parentId: Number(fields[1]),
      root: unescapeOctal(fields[3]!),
      mountPoint: unescapeOctal(fields[4]!),
      options: fields[5]!,
      fstype: fields[dash + 1]!,
      source: unescapeOctal(fields[dash + 2]!),
      superOptions: fields[dash + 3] ?? "",
    });
  }
  return mounts;
}
