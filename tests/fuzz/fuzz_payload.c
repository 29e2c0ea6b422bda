/* Fuzz target: the payload parser (JSON and XML) over arbitrary bytes. */
#include "mapping/payload.h"
#include "util/text.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct payload p;
	char err[512];

	if (payload_parse(&p, (const char *)data, size, err, sizeof(err)) ==
	    PAYLOAD_OK) {
		text_trigger_time(p.sid);
		payload_digest_mode(&p);
		payload_action_mode(&p);
		payload_free(&p);
	}
	return 0;
}
