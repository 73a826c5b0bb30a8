/* stage-fds.c: the fds and umask the sandbox's processes share besides the spec (stage.h),
 * set once in the child by main.c and read by the files that end, tie or exec it. */
#include "stage.h"

struct stage_fds stage_fds = {-1, -1, 022};
