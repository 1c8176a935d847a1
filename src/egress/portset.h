/* The (destination, source port) pairs the proxy's own TCP flows hold,
 * for its own choice of ports on kernels without IP_LOCAL_PORT_RANGE
 * (tcp.c): a port already used towards a destination is skipped without
 * a socket, a bind and a failed connect(). Pure logic. */
#ifndef OL_EGRESS_PORTSET_H
#define OL_EGRESS_PORTSET_H
#include <stdint.h>
#include <sys/socket.h>

struct portset;

/* 0, or -ENOMEM */
int portset_new(struct portset **out);
void portset_free(struct portset *s);
/* dst: the destination (address and port); sport: the source port. 0, or
 * -ENOMEM (the pair is then not known: its connect() will say) */
int portset_add(struct portset *s, const struct sockaddr *dst, uint16_t sport);
void portset_del(struct portset *s, const struct sockaddr *dst, uint16_t sport);
int portset_has(const struct portset *s, const struct sockaddr *dst, uint16_t sport);
unsigned long portset_size(const struct portset *s);
#endif
