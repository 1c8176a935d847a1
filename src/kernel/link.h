/* Interfaces by name, for what asks once rather than following them by
 * netlink (kernel/nl.h): the index, the flags, the MAC, the MTU. One
 * place for the ioctls and if_nametoindex(3). */
#ifndef OL_LINK_H
#define OL_LINK_H
#include <stdint.h>

/* The interface's index; 0 when there is none of that name. */
int link_index(const char *name);
/* 1 when administratively up, 0 when down or absent. */
int link_admin_up(const char *name);
/* 1 when up with carrier (IFF_RUNNING), 0 when not, -1 when absent. */
int link_carrier(const char *name);
/* Its MAC: 0, or negative errno (absent). */
int link_mac(const char *name, uint8_t mac[6]);
/* Its MTU: > 0, or negative errno (absent). */
int link_mtu(const char *name);
#endif
