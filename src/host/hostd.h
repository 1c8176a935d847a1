/* onlinkd host: makes every live provider look directly connected. */
#ifndef OL_HOSTD_H
#define OL_HOSTD_H
#include "conf/config.h"
int hostd_run(struct config *c);
#endif
