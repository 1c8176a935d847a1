/* Interfaces by name (link.h). */
#include "kernel/link.h"
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int link_ioctl(const char *name, unsigned long req, struct ifreq *ifr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;
	if (fd < 0)
		return -errno;
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
	r = ioctl(fd, req, ifr) ? -errno : 0;
	close(fd);
	return r;
}

int link_index(const char *name)
{
	return (int)if_nametoindex(name);
}

int link_admin_up(const char *name)
{
	struct ifreq ifr;
	return !link_ioctl(name, SIOCGIFFLAGS, &ifr) && (ifr.ifr_flags & IFF_UP);
}

int link_carrier(const char *name)
{
	struct ifreq ifr;
	if (link_ioctl(name, SIOCGIFFLAGS, &ifr))
		return -1;
	return (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
}

int link_mac(const char *name, uint8_t mac[6])
{
	struct ifreq ifr;
	int r = link_ioctl(name, SIOCGIFHWADDR, &ifr);
	if (!r)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return r;
}

int link_mtu(const char *name)
{
	struct ifreq ifr;
	int r = link_ioctl(name, SIOCGIFMTU, &ifr);
	return r ? r : ifr.ifr_mtu > 0 ? ifr.ifr_mtu : -EINVAL;
}
