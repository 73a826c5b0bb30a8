// HostFs over node:fs: the file operations of host preparation as nsbox makes them for real.
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import type { HostFs } from "./sys.ts";

export const nodeFs: HostFs = {
  readFile: (path) => readFileSync(path, "utf8"),
  writeFile: (path, data, { mode, exclusive = false } = {}) => writeFileSync(path, data, { mode, flag: exclusive ? "wx" : "w" }),
  rename: (from, to) => renameSync(from, to),
  remove: (path) => rmSync(path, { force: true }),
  mkdir: (path, opts) => void mkdirSync(path, opts),
  rmdir: (path) => rmdirSync(path),
  exists: (path) => existsSync(path),
  readdir: (path) => readdirSync(path),
  lstat(path) {
    const st = lstatSync(path);
    return { isDirectory: st.isDirectory(), isFile: st.isFile(), uid: st.uid, mode: st.mode };
  },
};
