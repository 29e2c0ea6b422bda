#include "util/buf.h"
#include "tap.h"

#include <stdlib.h>

int main(void)
{
	struct buf b = BUF_INIT(16);
	char *s;

	is_str(buf_str(&b), "", "empty buffer reads as \"\"");
	ok(buf_puts(&b, "hello") == BUF_OK, "append within cap");
	ok(buf_printf(&b, " %d", 42) == BUF_OK, "printf within cap");
	is_str(buf_str(&b), "hello 42", "contents");
	is_int(b.len, 8, "length");
	ok(buf_puts(&b, "0123456789") == BUF_TOOBIG, "append past cap fails");
	ok(buf_putc(&b, 'x') == BUF_TOOBIG, "error is sticky");
	ok(buf_take(&b) == NULL, "take after failure gives NULL");
	buf_free(&b);

	buf_init(&b, 16);
	ok(buf_append(&b, "a\0b", 3) == BUF_OK, "embedded NUL kept");
	is_int(b.len, 3, "length counts the NUL");
	buf_reset(&b);
	is_str(buf_str(&b), "", "reset empties");
	s = buf_take(&b);
	is_str(s, "", "take of empty buffer is \"\"");
	free(s);
	buf_init(&b, 16);
	ok(buf_printf(&b, "%s", "0123456789abcdef") == BUF_OK,
	   "exactly the cap fits");
	ok(buf_putc(&b, 'x') == BUF_TOOBIG, "one past the cap fails");
	buf_free(&b);
	return tap_done();
}
