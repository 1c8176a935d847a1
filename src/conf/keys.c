/* Per-node identities in the config: this agent's private key file, the
 * peers' public keys ([host NAME] in a switch's config, public-key in a
 * host's [switch NAME]), and the error for the pre-shared key they
 * replaced (docs/protocol.md). */
#include "conf/config.h"
#include "conf/parse.h"
#include "conf/schema.h"
#include "base/vec.h"
#include <errno.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* schema.c's public-key parser writes has_pub right after pub */
_Static_assert(offsetof(struct cfg_peerkey, has_pub) == offsetof(struct cfg_peerkey, pub) + 32, "has_pub");
_Static_assert(offsetof(struct cfg_switchref, has_pub) == offsetof(struct cfg_switchref, pub) + 32, "has_pub");

int key_load(const char *path, uint8_t key[32], unsigned *mode)
{
	char buf[128];
	size_t binlen;
	struct stat st;
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		int e = errno ? -errno : -EINVAL;
		fclose(f);
		return e;
	}
	*mode = st.st_mode & 07777;
	if (st.st_mode & 077) {
		fclose(f);
		return -EPERM;
	}
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\r'))
		buf[--n] = 0;
	int r = 0;
	if (sodium_base642bin(key, 32, buf, n, NULL, &binlen, NULL, sodium_base64_VARIANT_ORIGINAL) || binlen != 32)
		r = -EINVAL;
	sodium_memzero(buf, sizeof(buf));
	return r;
}

int key_parse_public(const char *v, uint8_t pub[32])
{
	size_t binlen;
	static const uint8_t zero[32];
	if (strlen(v) != 44 ||
	    sodium_base642bin(pub, 32, v, 44, NULL, &binlen, NULL, sodium_base64_VARIANT_ORIGINAL) || binlen != 32)
		return -1;
	return sodium_memcmp(pub, zero, 32) ? 0 : -1;
}

void key_print_public(const uint8_t pub[32], char out[48])
{
	sodium_bin2base64(out, 48, pub, 32, sodium_base64_VARIANT_ORIGINAL);
}

int on_host_section(struct parse *p, const char *section, const char *name)
{
	struct config *c = p->c;
	if (!name_valid(name)) {
		fail(p, p->line, "section '[%s]': bad name '%s'", section, name);
		return 0;
	}
	for (unsigned i = 0; i < c->sw.nhosts; i++)
		if (!strcmp(c->sw.hosts[i].name, name)) {
			fail(p, p->line, "host '%s' defined twice (first at line %d)", name, c->sw.hosts[i].line);
			return 0;
		}
	if (c->sw.nhosts == CFG_HOSTS_MAX) {
		fail(p, p->line, "at most %d hosts", CFG_HOSTS_MAX);
		return 0;
	}
	if (vec_reserve_((void **)&c->sw.hosts, &c->sw.caphosts, c->sw.nhosts + 1, sizeof(*c->sw.hosts))) {
		fail(p, p->line, "out of memory");
		return 0;
	}
	struct cfg_peerkey *h = &c->sw.hosts[c->sw.nhosts++];
	memset(h, 0, sizeof(*h));
	strcpy(h->name, name);
	h->line = p->line;
	p->sec = CS_HOSTKEY;
	p->obj = h;
	return 1;
}

int config_obsolete_key(struct parse *p, const char *name)
{
	if (!strcmp(name, "key-file") && (p->sec == CS_SWITCH || p->sec == CS_HOST))
		fail(p, p->line, "key-file: the POP's pre-shared key is gone (protocol version 5): each agent has its own "
				 "key pair. Give 'private-key-file' here ('onlink genkey'), and each peer's public key "
				 "('onlink pubkey') as 'public-key' in %s", p->sec == CS_SWITCH ? "a [host NAME] section per host" :
				 "each [switch NAME]");
	else if (!strcmp(name, "host") && p->sec == CS_SWITCH)
		fail(p, p->line, "host: hosts are now '[host NAME]' sections, each with the host agent's 'public-key' "
				 "('onlink pubkey' of its private key)");
	else
		return 0;
	return 1;
}

int config_host_known(const struct config *c, const char *name)
{
	for (unsigned i = 0; i < c->sw.nhosts; i++)
		if (!strcmp(c->sw.hosts[i].name, name))
			return 1;
	return 0;
}

const struct cfg_peerkey *config_host_by_key(const struct config *c, const uint8_t pub[32])
{
	for (unsigned i = 0; i < c->sw.nhosts; i++)
		if (!sodium_memcmp(c->sw.hosts[i].pub, pub, 32))
			return &c->sw.hosts[i];
	return NULL;
}

/* The private key, then what the public keys must not be: one key for
 * two hosts, or this agent's own. */
void config_load_keys(struct parse *p)
{
	struct config *c = p->c;
	unsigned mode = 0;
	if (!c->private_key_file[0]) {
		fail(p, p->line, "missing 'private-key-file'");
		return;
	}
	int e = key_load(c->private_key_file, c->priv, &mode);
	if (e == -EPERM)
		fail(p, p->key_line, "private-key-file: '%s' has mode %04o: a private key must not be readable or writable by "
				     "group or others (chmod 600 '%s')", c->private_key_file, mode, c->private_key_file);
	else if (e)
		fail(p, p->key_line, "private-key-file: cannot use '%s': %s", c->private_key_file,
		     e == -EINVAL ? "not a base64 key of 32 bytes (make one with 'onlink genkey')" : strerror(-e));
	if (p->failed)
		return;
	crypto_scalarmult_base(c->pub, c->priv);
	for (unsigned i = 0; i < c->sw.nhosts && !p->failed; i++) {
		const struct cfg_peerkey *h = &c->sw.hosts[i];
		if (!sodium_memcmp(h->pub, c->pub, 32))
			fail(p, h->line, "[host %s]: public-key is this switch agent's own (from %s)", h->name,
			     c->private_key_file);
		for (unsigned j = 0; j < i && !p->failed; j++)
			if (!sodium_memcmp(h->pub, c->sw.hosts[j].pub, 32))
				fail(p, h->line, "[host %s]: public-key already belongs to host '%s' (line %d)", h->name,
				     c->sw.hosts[j].name, c->sw.hosts[j].line);
	}
	for (unsigned i = 0; i < c->host.nswitches && !p->failed; i++)
		if (!sodium_memcmp(c->host.switches[i].pub, c->pub, 32))
			fail(p, c->host.switches[i].line, "[switch %s]: public-key is this host agent's own (from %s)",
			     c->host.switches[i].name, c->private_key_file);
}
