/* onlinkd egress: soft-unicast egress for client traffic, in a process of
 * its own so a proxy fault never touches routing. */
#ifndef OL_EGRESSD_H
#define OL_EGRESSD_H
#include "conf/config.h"
int egressd_run(struct config *c);
#endif
