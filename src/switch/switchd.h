/* onlinkd switch: follows the switch kernel's neighbor table for the
 * configured providers and streams their state to every host agent. */
#ifndef OL_SWITCHD_H
#define OL_SWITCHD_H
#include "conf/config.h"
int switchd_run(struct config *c);
#endif
