/* trace.h: NSBOX_TRACE step times on stderr (see trace.c). */
#ifndef NSBOX_TRACE_H
#define NSBOX_TRACE_H

void trace_init(void);
void trace(const char *step);

#endif
