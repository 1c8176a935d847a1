/* libnftables runner. */
#include "kernel/nft.h"
#include <nftables/libnftables.h>
#include <malloc.h>
#include <stdio.h>
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
