/* The BIRD sessions onlink writes from onlink.conf into the include file
 * (after onlink_export, which their export filters call): one per address
 * of each provider with remote-as and no bird-protocol, a BFD protocol for
 * those with bfd = yes, and with bird-hosts = yes the route reflector's
 * sessions to every [host NAME] address. Pure: config in, text out. */
#ifndef OL_BIRDCONF_H
#define OL_BIRDCONF_H
#include "conf/config.h"
#include <stdio.h>

void birdconf_sessions(FILE *f, const struct config *c);
/* The include file's mode: 0640 when it holds a password (BIRD reads it
 * through its group: docs/install.md), else 0644. */
unsigned birdconf_mode(const struct config *c);
#endif
