/*
 * A stand-in for a library splunkd puts on LD_LIBRARY_PATH
 * ($SPLUNK_HOME/lib holds its own libssl.so.3, libcrypto.so.3, libcurl.so.4,
 * libxml2.so.2, libz.so.1…). Built by test_package.sh once per soname, with
 * no symbol versions, like a library built by another vendor. A binary that
 * loads it leaves a marker file, and one that binds to these symbols breaks.
 * STANDIN is the soname, given with -D.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((constructor)) static void standin_loaded(void)
{
	const char *dir = getenv("QS_STANDIN_MARKS");
	char path[4096];
	int fd;

	if (!dir || strlen(dir) + sizeof(STANDIN) + 2 > sizeof(path))
		return;
	strcpy(path, dir);
	strcat(path, "/");
	strcat(path, STANDIN);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0)
		close(fd);
}

/* Entry points of each real library, all failing. */
void *curl_easy_init(void) { return NULL; }
int curl_global_init(long flags) { (void)flags; return 2; }
int OPENSSL_init_ssl(unsigned long long o, const void *s) { (void)o; (void)s; return 0; }
int OPENSSL_init_crypto(unsigned long long o, const void *s) { (void)o; (void)s; return 0; }
void *json_loads(const char *s, size_t f, void *e) { (void)s; (void)f; (void)e; return NULL; }
void *xmlReadMemory(const char *b, int n, const char *u, const char *e, int o)
{ (void)b; (void)n; (void)u; (void)e; (void)o; return NULL; }
int inflateInit2_(void *s, int w, const char *v, int n) { (void)s; (void)w; (void)v; (void)n; return -2; }
