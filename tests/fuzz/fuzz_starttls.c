/* libFuzzer target: what a peer answers during STARTTLS (SMTP, XMPP, LDAP; the first input byte
 * picks the protocol) and HOST:PORT operands. The answer arrives through a socket pair, as it
 * would from the network. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/connect.h"
#include "net/starttls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *protos[] = {"smtp", "xmpp", "ldap"};
	if (size < 1 || size > 16384)
		return 0;
	char *text = malloc(size);
	if (text == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	cf_hostport hp;
	cf_err e;
	(void)cf_hostport_parse(text, &hp, &e);
	free(text);

	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 0;
	if (size > 1 && write(sv[1], data + 1, size - 1) < 0) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	shutdown(sv[1], SHUT_WR);
	(void)cf_starttls(sv[0], protos[data[0] % 3], "example.com", cf_net_deadline(200), &e);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
