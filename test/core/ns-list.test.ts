import { describe, expect, test } from "bun:test";
import { listNamespaces, parseNsfsMounts, parseNsLink } from "../../src/core/ns-list.ts";
import { parseMountinfo } from "../../src/core/mountinfo.ts";
import { NS_KINDS } from "../../src/model/schema.ts";
import { fakeFacts } from "./fake-host.ts";

// Lines as the kernel writes them after `ip netns add` and `unshare --mount=FILE`, plus noise.
const MOUNTINFO = [
  "26 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda rw",
  "42 41 0:4 net:[4026532176] /run/netns/blue rw shared:2 - nsfs nsfs rw",
  "64 26 0:4 mnt:[4026532177] /tmp/mnt\\040ns rw - nsfs nsfs rw",
  "65 26 0:4 uts:[4026532300] /run/held-uts rw - nsfs nsfs rw",
  "66 26 0:4 uts:[4026532300] /run/held-uts-again rw - nsfs nsfs rw",
  "67 26 0:4 / /run/odd rw - nsfs nsfs rw",
  "not a mountinfo line",
].join("\n");

const HOST_NS = { user: 4026531837, mnt: 4026531841, pid: 4026531836, net: 4026531840, uts: 4026531838, ipc: 4026531839, cgroup: 4026531835, time: 4026531834 };

/** /proc entries for one process: its ns links (host ones unless overridden), cmdline, comm. */
function proc(pid: number, cmdline: string, ns: Partial<typeof HOST_NS> = {}, comm = cmdline.split("\0")[0]!) {
  const links: Record<string, string> = {};
  for (const k of NS_KINDS) links[`/proc/${pid}/ns/${k}`] = `${k}:[${{ ...HOST_NS, ...ns }[k]}]`;
  return { links, files: { [`/proc/${pid}/cmdline`]: cmdline, [`/proc/${pid}/comm`]: `${comm}\n` } };
}

function fakeProc() {
  const procs = [
    proc(1, "/sbin/init\0splash\0"),
    proc(2, "", {}, "kthreadd"),
    // A sandbox: its own user, pid, net, uts, ipc; in the netns that /run/netns/blue holds.
    proc(300, "nsbox-stage\0", {}),
    proc(301, "sleep\0" + "30\0", { user: 4026532400, pid: 4026532401, net: 4026532176, uts: 4026532402, ipc: 4026532403 }),
    proc(302, "sh\0", { user: 4026532400, pid: 4026532401, net: 4026532176, uts: 4026532402, ipc: 4026532403 }),
  ];
  const links = Object.assign({}, ...procs.map((p) => p.links));
  const files = Object.assign({ "/proc/self/mountinfo": MOUNTINFO }, ...procs.map((p) => p.files));
  // Process 250 exits mid-scan: /proc/250 is listed, but only its first links can be read.
  links["/proc/250/ns/user"] = "user:[4026531837]";
  links["/proc/250/ns/mnt"] = "mnt:[4026599999]";
  const owners = { "/proc/1": 0, "/proc/2": 0, "/proc/300": 0, "/proc/301": 100000, "/proc/302": 100000 };
  return fakeFacts({ links, files, owners, paths: ["/proc/self", "/proc/sys", "/proc/250"] });
}

describe("namespace links and nsfs mounts", () => {
  test("readlink strings parse to kind and inode", () => {
    expect(parseNsLink("net:[4026531840]")).toEqual({ kind: "net", inode: 4026531840 });
    expect(parseNsLink("cgroup:[4026531835]\n")).toEqual({ kind: "cgroup", inode: 4026531835 });
    expect(parseNsLink("pid_for_children:[4026531836]")).toBeUndefined();
    expect(parseNsLink("anon_inode:[eventfd]")).toBeUndefined();
    expect(parseNsLink("net:[abc]")).toBeUndefined();
  });

  test("mountinfo fields, with optional fields and octal escapes", () => {
    const [root, netns] = parseMountinfo(MOUNTINFO);
    expect(root).toMatchObject({ id: 26, parentId: 1, root: "/", mountPoint: "/", fstype: "ext4", source: "/dev/vda" });
    expect(netns).toMatchObject({ root: "net:[4026532176]", mountPoint: "/run/netns/blue", fstype: "nsfs" });
    expect(parseMountinfo(MOUNTINFO)).toHaveLength(6);
  });

  test("nsfs mounts name the namespace and its mount point", () => {
    expect(parseNsfsMounts(MOUNTINFO)).toEqual([
      { kind: "net", inode: 4026532176, path: "/run/netns/blue" },
      { kind: "mnt", inode: 4026532177, path: "/tmp/mnt ns" },
      { kind: "uts", inode: 4026532300, path: "/run/held-uts" },
      { kind: "uts", inode: 4026532300, path: "/run/held-uts-again" },
    ]);
  });
});

describe("listNamespaces", () => {
  const all = listNamespaces(fakeProc());
  const find = (kind: string, inode: number) => all.find((e) => e.kind === kind && e.inode === inode);

  test("host namespaces count every readable process; the lowest pid names the command", () => {
    expect(find("mnt", HOST_NS.mnt)).toEqual({
      kind: "mnt", inode: HOST_NS.mnt, nprocs: 5, pid: 1, uid: 0, command: "/sbin/init splash", owner: HOST_NS.user, path: null, name: null,
    });
    expect(find("net", HOST_NS.net)?.nprocs).toBe(3);
  });

  test("a process that vanished mid-scan is skipped entirely", () => {
    expect(find("mnt", 4026599999)).toBeUndefined();
    expect(find("user", HOST_NS.user)?.nprocs).toBe(3);
  });

  test("a sandbox's namespaces: owner is the lowest pid's user namespace, null for user namespaces", () => {
    expect(find("pid", 4026532401)).toMatchObject({ nprocs: 2, pid: 301, uid: 100000, command: "sleep 30", owner: 4026532400 });
    expect(find("user", 4026532400)).toMatchObject({ nprocs: 2, pid: 301, owner: null });
  });

  test("a bind-mounted namespace in use gets its path; one with no process is listed with nprocs 0", () => {
    expect(find("net", 4026532176)).toMatchObject({ nprocs: 2, pid: 301, path: "/run/netns/blue" });
    expect(find("mnt", 4026532177)).toEqual({ kind: "mnt", inode: 4026532177, nprocs: 0, pid: null, uid: null, command: null, owner: null, path: "/tmp/mnt ns", name: null });
    expect(all.filter((e) => e.inode === 4026532300)).toEqual([expect.objectContaining({ kind: "uts", nprocs: 0, path: "/run/held-uts" })]);
  });

  test("kernel threads show [comm]; entries are sorted by inode", () => {
    const kthread = listNamespaces(fakeFacts({ links: proc(2, "", {}, "kthreadd").links, files: proc(2, "", {}, "kthreadd").files }));
    expect(kthread[0]?.command).toBe("[kthreadd]");
    const inodes = all.map((e) => e.inode);
    expect(inodes).toEqual([...inodes].sort((a, b) => a - b));
  });

  test("--type keeps one kind (the owner is still known)", () => {
    const nets = listNamespaces(fakeProc(), { kind: "net" });
    expect(nets.map((e) => e.inode)).toEqual([HOST_NS.net, 4026532176]);
    expect(nets.every((e) => e.kind === "net" && e.owner !== null)).toBe(true);
  });

  test("the nameOf hook names namespaces, given kind, inode, lowest pid and path", () => {
    const seen: unknown[] = [];
    const named = listNamespaces(fakeProc(), {
      kind: "uts",
      nameOf: (ns) => {
        seen.push(ns);
        return ns.inode === 4026532402 ? "web" : null;
      },
    });
    expect(named.map((e) => e.name)).toEqual([null, null, "web"]);
    expect(seen).toContainEqual({ kind: "uts", inode: 4026532402, pid: 301, path: null });
  });
});
