/* HOST:PORT endpoints for listen and peer addresses. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

static int
ep_fail(const char **why, const char *reason)
{
	*why = reason;
	return -EINVAL;
}

int
config_endpoint_parse(const char *text, struct endpoint *ep, const char **why)
{
	const char *host = text, *colon, *s;
	char v6[INET6_ADDRSTRLEN];
	struct in6_addr a6;
	unsigned long port = 0;
	size_t hlen;

	if (*text == '[') {
		if ((colon = strchr(++host, ']')) == NULL)
			return ep_fail(why, "missing ']' after IPv6 address");
		/* The zone of a link-local address ("fe80::1%eth0") is not ours to check. */
		hlen = strcspn(host, "]%");
		if (hlen >= sizeof(v6))
			return ep_fail(why, "not an IPv6 address");
		memcpy(v6, host, hlen);
		v6[hlen] = '\0';
		if (inet_pton(AF_INET6, v6, &a6) != 1)
			return ep_fail(why, "not an IPv6 address");
		hlen = (size_t)(colon++ - host);
	} else {
		colon = strrchr(text, ':');
		hlen = colon != NULL ? (size_t)(colon - text) : strlen(text);
		if (colon != NULL && memchr(text, ':', hlen) != NULL)
			return ep_fail(why, "an IPv6 address needs brackets, as in [::1]:7070");
		for (size_t i = 0; i < hlen; i++)
			if (!isalnum((unsigned char)text[i]) && strchr(".-_", text[i]) == NULL)
				return ep_fail(why, "invalid character in host name");
	}
	if (hlen == 0)
		return ep_fail(why, "empty host");
	if (colon == NULL || *colon != ':' || colon[1] == '\0')
		return ep_fail(why, "missing port (HOST:PORT)");
	for (s = colon + 1; *s != '\0' && port <= 65535; s++) {
		if (!isdigit((unsigned char)*s))
			return ep_fail(why, "invalid port");
		port = port * 10 + (unsigned long)(*s - '0');
	}
	if (port == 0 || port > 65535)
		return ep_fail(why, "port must be 1..65535");
	if ((ep->host = strndup(host, hlen)) == NULL)
		return -ENOMEM;
	ep->port = (uint16_t)port;
	return 0;
}

int
config_parse_endpoint(const char *text, struct endpoint *ep)
{
	const char *why;

	return config_endpoint_parse(text, ep, &why);
}

