/* libnftables runner. */
#include "kernel/nft.h"
#include <jansson.h>
#include <nftables/libnftables.h>
#include <malloc.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int nft_run(const char *cmd, char *err, size_t errlen)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	int r;
	if (!ctx) {
		snprintf(err, errlen, "libnftables: cannot create a context");
		return -1;
	}
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	r = nft_run_cmd_from_buffer(ctx, cmd);
	if (r) {
		const char *e = nft_ctx_get_error_buffer(ctx);
		snprintf(err, errlen, "nftables: %s", e && *e ? e : "failed");
		err[strcspn(err, "\n")] = 0;
	}
	nft_ctx_free(ctx);
	/* libnftables' parse of a large script (a map of a thousand provider
	 * addresses) leaves megabytes of freed heap: give them back */
	malloc_trim(0);
	return r ? -1 : 0;
}

int nft_query(const char *cmd, char **out)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return -1;
	nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON);
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	int r = nft_run_cmd_from_buffer(ctx, cmd);
	const char *o = nft_ctx_get_output_buffer(ctx);
	*out = !r && o ? strdup(o) : NULL;
	nft_ctx_free(ctx);
	malloc_trim(0);
	return *out ? 0 : -1;
}

int nft_check(const char *cmd, char *err, size_t errlen)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx) {
		snprintf(err, errlen, "libnftables: cannot create a context");
		return -1;
	}
	nft_ctx_set_dry_run(ctx, true);
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	int r = nft_run_cmd_from_buffer(ctx, cmd);
	if (r) {
		const char *e = nft_ctx_get_error_buffer(ctx);
		snprintf(err, errlen, "nftables: %s", e && *e ? e : "failed");
	}
	nft_ctx_free(ctx);
	return r ? -1 : 0;
}

int nft_script_table(const char *script, char *table, size_t len)
{
	static const char add[] = "add table ";
	if (strncmp(script, add, sizeof(add) - 1))
		return -1;
	const char *t = script + sizeof(add) - 1;
	size_t n = strcspn(t, "\n");
	if (!n || n >= len || !memchr(t, ' ', n))
		return -1;
	memcpy(table, t, n);
	table[n] = 0;
	return 0;
}

void nft_fingerprint(const char *script, char hex[NFT_FP_HEX])
{
	unsigned char h[16];
	crypto_generichash(h, sizeof(h), (const unsigned char *)script, strlen(script), NULL, 0);
	sodium_bin2hex(hex, NFT_FP_HEX, h, sizeof(h));
}

/* whether the script's last line deletes its own table */
static int script_removes(const char *script, const char *table)
{
	size_t n = strlen(script);
	while (n && script[n - 1] == '\n')
		n--;
	const char *last = script + n;
	while (last > script && last[-1] != '\n')
		last--;
	char want[160];
	int w = snprintf(want, sizeof(want), "delete table %s", table);
	return w > 0 && (size_t)w == (size_t)(script + n - last) && !strncmp(last, want, (size_t)w);
}

char *nft_script_fingerprinted(const char *script)
{
	char table[128], fp[NFT_FP_HEX];
	if (nft_script_table(script, table, sizeof(table)) || script_removes(script, table))
		return strdup(script);
	nft_fingerprint(script, fp);
	size_t n = strlen(script), extra = 3 * sizeof(table) + 160;
	char *out = malloc(n + extra);
	if (!out)
		return NULL;
	memcpy(out, script, n);
	snprintf(out + n, extra,
		 "%sadd set %s " NFT_FP_SET " { type mark; }\nflush set %s " NFT_FP_SET "\n"
		 "add element %s " NFT_FP_SET " { 1 comment \"%s\" }\n",
		 n && script[n - 1] != '\n' ? "\n" : "", table, table, table, fp);
	return out;
}

int nft_fingerprint_holds(const char *script)
{
	char table[128], fp[NFT_FP_HEX], cmd[192], *out = NULL;
	if (nft_script_table(script, table, sizeof(table)))
		return 0;
	if (script_removes(script, table)) {
		snprintf(cmd, sizeof(cmd), "list table %s", table);
		int present = !nft_query(cmd, &out);
		free(out);
		return !present;
	}
	snprintf(cmd, sizeof(cmd), "list set %s " NFT_FP_SET, table);
	if (nft_query(cmd, &out))
		return 0;
	nft_fingerprint(script, fp);
	json_t *root = json_loads(out, 0, NULL), *x;
	free(out);
	size_t i;
	int holds = 0;
	json_array_foreach(json_object_get(root, "nftables"), i, x) {
		json_t *elems = json_object_get(json_object_get(x, "set"), "elem");
		if (json_array_size(elems) != 1)
			continue;
		const char *c = json_string_value(json_object_get(json_object_get(json_array_get(elems, 0), "elem"), "comment"));
		holds = c && !strcmp(c, fp);
	}
	json_decref(root);
	return holds;
}
