/* ns-kinds.c: the namespace kinds by their wire (and /proc/PID/ns) name and clone flag, shared
 * by the decoder, its checks, and the joins and persists that act on them. */
#include "wire.h"

#include <sched.h>

const struct ns_kind_info ns_kinds[NS_COUNT] = {
	[NS_USER] = {"user", CLONE_NEWUSER},   [NS_MNT] = {"mnt", CLONE_NEWNS},
	[NS_PID] = {"pid", CLONE_NEWPID},      [NS_NET] = {"net", CLONE_NEWNET},
	[NS_UTS] = {"uts", CLONE_NEWUTS},      [NS_IPC] = {"ipc", CLONE_NEWIPC},
	[NS_CGROUP] = {"cgroup", CLONE_NEWCGROUP}, [NS_TIME] = {"time", CLONE_NEWTIME},
};
