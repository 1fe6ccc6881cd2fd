/* What core itself does with the transport's types (transport.h). */
#include "core/transport.h"

#include <stdlib.h>
#include <string.h>

void cf_http_answer_clear(cf_http_answer *a)
{
	free(a->location);
	free(a->replay_nonce);
	free(a->retry_after);
	free(a->content_type);
	cf_strv_clear(&a->links);
	free(a->body);
	memset(a, 0, sizeof(*a));
}
