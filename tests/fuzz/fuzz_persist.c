/* Fuzz target: persistconn packets (what splunkd writes to the setup
 * handler) read until the stream ends or breaks. */
#include "setup/persist.h"

#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct persist_packet p;
	char err[512];
	FILE *in;
	int i;

	if (size == 0)
		return 0;
	in = fmemopen((void *)data, size, "rb");
	if (!in)
		return 0;
	/* a bounded number of packets: each read consumes input or stops */
	for (i = 0; i < 256; i++) {
		enum persist_rc rc = persist_read(in, &p, err, sizeof(err));

		persist_packet_free(&p);
		if (rc != PERSIST_OK)
			break;
	}
	fclose(in);
	return 0;
}
