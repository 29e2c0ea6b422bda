#include "tap.h"
#include "setup/setupform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET "Sup3r$ecret-Value"
#define PROXY_PW "Pr0xy-Passw0rd"

static const char *base_keys[] = { "host", "port", "org", "user", "secret",
				   "api_keys", "verify", "duplicates",
				   "num_artifacts", "num_events", "mode",
				   NULL };
static const char *base_vals[] = { "soar.example.com", "443", "Test Org",
				   "soar@example.com", SECRET, "0", "true",
				   "0", "10", "30", "", NULL };

static char field[64], err[512];
static json_t *errors; /* every problem of the last parse */

/* The setup page's label of each key (appserver/static/setup.js): the
 * messages name a setting as the admin sees it. */
static const char *label_of(const char *key)
{
	static const char *const l[][2] = {
		{ "host", "QRadar SOAR host or IP" },
		{ "port", "Port" },
		{ "org", "Organization" },
		{ "user", "Email" },
		{ "secret", "Password" },
		{ "api_keys", "Use API keys" },
		{ "verify", "CA bundle" },
		{ "duplicates", "Allow duplicate incidents" },
		{ "num_artifacts", "Max artifacts per alert" },
		{ "num_events", "Max result rows per run" },
		{ "proxy_host", "Proxy host" },
		{ "proxy_port", "Proxy port" },
		{ "proxy_user", "Proxy user" },
		{ "proxy_password", "Proxy password" },
		{ "sync_closed", "Close the notable when its SOAR case closes" },
		{ "sync_close_status", "Notable status when the case closes" },
	};
	size_t i;

	for (i = 0; i < sizeof l / sizeof l[0]; i++)
		if (!strcmp(l[i][0], key))
			return l[i][1];
	return key;
}

/* The base form with key replaced by val (val NULL: key left out; a key
 * not in the base is appended). val_len lets a value carry a NUL. */
static json_t *form_with(const char *key, const char *val, size_t val_len)
{
	json_t *a = json_array();
	int i, seen = 0;

	for (i = 0; base_keys[i]; i++) {
		if (key && !strcmp(base_keys[i], key)) {
			seen = 1;
			if (!val)
				continue;
			json_array_append_new(
				a, json_pack("[s s%]", key, val, val_len));
		} else {
			json_array_append_new(
				a, json_pack("[s s]", base_keys[i], base_vals[i]));
		}
	}
	if (key && !seen && val)
		json_array_append_new(a, json_pack("[s s%]", key, val, val_len));
	return a;
}

/* Appends [k, v]; a pack failure would silently drop the pair. */
static void add(json_t *a, const char *k, const char *v)
{
	json_t *p = json_pack("[s s]", k, v);

	if (!p || json_array_append_new(a, p))
		abort();
}

static int parse(json_t *form, struct setup_form *f)
{
	int rc;

	if (!form) /* a test-side json_pack mistake, not a refusal */
		abort();
	json_decref(errors);
	errors = json_array();
	rc = setup_form_parse(form, f, errors, field, sizeof field, err,
			      sizeof err);

	json_decref(form);
	return rc;
}

/* Expects form to be refused naming key, with no secret in err. */
static void refuse(json_t *form, const char *key, const char *name)
{
	struct setup_form f;
	char msg[256];
	int rc = parse(form, &f);

	snprintf(msg, sizeof msg, "%s: refused", name);
	ok(rc == -1, msg);
	snprintf(msg, sizeof msg, "%s: field is %s", name, key);
	is_str(field, key, msg);
	snprintf(msg, sizeof msg, "%s: err names %s by its label", name, key);
	if (!ok(strstr(err, label_of(key)) != NULL ||
			(!strcmp(key, "verify") &&
			 strstr(err, "Verify SOAR's certificate")) ||
			(!strcmp(key, "secret") && strstr(err, "API key secret")),
		msg))
		printf("#   err: %s\n", err);
	snprintf(msg, sizeof msg, "%s: errors lists it", name);
	ok(json_array_size(errors) >= 1 &&
		   !strcmp(json_string_value(json_object_get(
				   json_array_get(errors, 0), "field")),
			   key),
	   msg);
	snprintf(msg, sizeof msg, "%s: no secret in err", name);
	ok(!strstr(err, SECRET) && !strstr(err, PROXY_PW) &&
		   !strstr(err, "Sup3r") && !strstr(err, "Pr0xy"),
	   msg);
	ok(f.host == NULL && f.secret == NULL, "form freed on failure");
}

static void refuse_val(const char *key, const char *val, const char *name)
{
	refuse(form_with(key, val, strlen(val)), key, name);
}

static void accept_val(const char *key, const char *val, const char *name,
		       struct setup_form *f)
{
	if (!ok(parse(form_with(key, val, strlen(val)), f) == 0, name))
		printf("#   field %s err %s\n", field, err);
}

int main(void)
{
	struct setup_form f;
	char path[] = "/tmp/test_setupform_XXXXXX";
	char dir[] = "/tmp/test_setupform_dir_XXXXXX";
	char *big, name[128];
	json_t *j;
	int i, fd;

	/* defaults */
	j = json_pack("[[s s][s s][s s][s s]]", "host", "soar.example.com",
		      "org", "O", "user", "u@example.com", "secret", SECRET);
	ok(parse(j, &f) == 0, "minimal form accepted");
	is_int(f.port, 443, "port default 443");
	is_int(f.num_artifacts, 10, "num_artifacts default 10");
	is_int(f.num_events, 30, "num_events default 30");
	is_str(f.verify, "true", "verify default true");
	is_int(f.api_keys, 0, "api_keys default 0");
	is_int(f.duplicates, 0, "duplicates default 0");
	is_str(f.proxy_host, "", "proxy_host default empty");
	is_str(f.proxy_user, "", "proxy_user default empty");
	is_str(f.proxy_password, "", "proxy_password default empty");
	is_int(f.proxy_port, 0, "proxy_port 0 without proxy");
	is_int(f.test_mode, 0, "saves by default");
	is_str(f.secret, SECRET, "secret kept");
	setup_form_free(&f);
	ok(f.secret == NULL && f.host == NULL, "free clears the struct");
	setup_form_free(&f); /* twice is harmless */

	/* full form, object form, typed values */
	j = json_pack("[[s s][s s][s s][s s][s s][s s][s s][s s][s s][s s]"
		      "[s s][s s][s s][s s][s s][s s]]",
		      "host", " 10.1.2.3 ", "port", "8443", "org", " Org A ",
		      "user", "key-id", "secret", " " SECRET " ", "api_keys",
		      "TRUE", "verify", "1", "duplicates", "1",
		      "num_artifacts", "99", "num_events", "10000",
		      "proxy_host", "https://proxy.corp", "proxy_port", "3128",
		      "proxy_user", "pu", "proxy_password", PROXY_PW, "mode",
		      "test", "output_mode", "json");
	ok(parse(j, &f) == 0, "full form accepted");
	is_str(f.host, "10.1.2.3", "host trimmed");
	is_int(f.port, 8443, "port");
	is_str(f.org, "Org A", "org trimmed");
	is_str(f.secret, " " SECRET " ", "secret not trimmed");
	is_int(f.api_keys, 1, "api_keys TRUE");
	is_str(f.verify, "true", "verify 1 -> true");
	is_int(f.duplicates, 1, "duplicates 1");
	is_int(f.num_artifacts, 99, "num_artifacts 99");
	is_int(f.num_events, 10000, "num_events 10000");
	is_str(f.proxy_host, "https://proxy.corp", "proxy_host with scheme");
	is_int(f.proxy_port, 3128, "proxy_port");
	is_str(f.proxy_password, PROXY_PW, "proxy_password");
	is_int(f.test_mode, 1, "mode=test");
	setup_form_free(&f);

	j = json_pack("{s s s i s s s s s s s b s b s i}", "host",
		      "soar.example.com", "port", 443, "org", "O", "user", "u",
		      "secret", SECRET, "api_keys", 1, "duplicates", 0,
		      "num_events", 5);
	ok(parse(j, &f) == 0, "object form with numbers and booleans");
	is_int(f.api_keys, 1, "object api_keys true");
	is_int(f.num_events, 5, "object num_events 5");
	setup_form_free(&f);

	accept_val("host", "[fe80::1]", "bracketed IPv6 host", &f);
	setup_form_free(&f);
	accept_val("host", "2001:db8::10", "bare IPv6 host", &f);
	setup_form_free(&f);
	accept_val("host", "soar_1.corp-x.example", "host with _ and -", &f);
	setup_form_free(&f);
	accept_val("mode", "save", "mode other than test saves", &f);
	is_int(f.test_mode, 0, "mode=save is not a test");
	setup_form_free(&f);
	accept_val("port", "65535", "port 65535", &f);
	setup_form_free(&f);
	/* closing the loop: off and ES's Closed by default */
	accept_val("mode", "save", "sync defaults", &f);
	is_int(f.sync_closed, 0, "sync_closed default 0");
	is_int(f.sync_close_status, 5, "sync_close_status default 5 (Closed)");
	setup_form_free(&f);
	accept_val("sync_closed", "1", "sync_closed 1", &f);
	is_int(f.sync_closed, 1, "sync_closed ticked");
	setup_form_free(&f);
	accept_val("sync_close_status", "0", "sync_close_status 0 (a status id)",
		   &f);
	is_int(f.sync_close_status, 0, "sync_close_status 0");
	setup_form_free(&f);
	refuse_val("sync_closed", "perhaps", "sync_closed not a boolean");
	refuse_val("sync_close_status", "Closed",
		   "sync_close_status a label, not an id");
	refuse_val("sync_close_status", "-1", "sync_close_status negative");
	refuse_val("sync_close_status", "100000", "sync_close_status too big");
	accept_val("port", "1", "port 1", &f);
	setup_form_free(&f);
	accept_val("verify", "", "verify empty", &f);
	is_str(f.verify, "true", "verify empty -> true");
	setup_form_free(&f);
	accept_val("unknown_key", "x\n[stanza]", "unknown keys ignored", &f);
	setup_form_free(&f);

	/* a CA file */
	fd = mkstemp(path);
	ok(fd >= 0 && write(fd, "x\n", 2) == 2, "temp CA file");
	close(fd);
	accept_val("verify", path, "readable CA file accepted", &f);
	is_str(f.verify, path, "verify keeps the path");
	setup_form_free(&f);
	refuse_val("verify", "ca.pem", "relative CA path");
	ok(strstr(err, "absolute") != NULL, "relative path: says absolute");
	refuse_val("verify", "/nonexistent/ca.pem", "missing CA file");
	refuse_val("verify", "false", "verify false");
	ok(mkdtemp(dir) != NULL, "temp dir");
	refuse_val("verify", dir, "CA path is a directory");
	if (geteuid() != 0) {
		chmod(path, 0);
		refuse_val("verify", path, "unreadable CA file");
	} else {
		ok(1, "unreadable CA file # SKIP running as root");
	}
	unlink(path);
	rmdir(dir);

	/* newline + [stanza], CR, tab, DEL and NUL in every field */
	for (i = 0; base_keys[i]; i++) {
		static const char *const bad[] = { "x\n[stanza]\nk = v",
						    "x\r\n[stanza]", "a\tb",
						    "a\x7f" "b" };
		size_t b;

		for (b = 0; b < sizeof bad / sizeof bad[0]; b++) {
			snprintf(name, sizeof name, "%s with control char #%zu",
				 base_keys[i], b);
			refuse_val(base_keys[i], bad[b], name);
		}
		snprintf(name, sizeof name, "%s with NUL", base_keys[i]);
		refuse(form_with(base_keys[i], "ab\0[stanza]", 11),
		       base_keys[i], name);
	}
	refuse_val("proxy_host", "proxy\n[x]", "proxy_host newline");
	refuse_val("proxy_user", "u\n[x]", "proxy_user newline");
	refuse_val("proxy_password", PROXY_PW "\n[x]",
		   "proxy_password newline");
	refuse_val("proxy_port", "3128\n", "proxy_port newline");

	/* 1 MB in every field */
	big = malloc(1 << 20);
	memset(big, 'a', 1 << 20);
	memcpy(big, SECRET, strlen(SECRET));
	for (i = 0; base_keys[i]; i++) {
		snprintf(name, sizeof name, "%s of 1 MB", base_keys[i]);
		refuse(form_with(base_keys[i], big, 1 << 20), base_keys[i],
		       name);
		ok(strstr(err, "too long") != NULL, "says too long");
	}
	refuse(form_with("proxy_password", big, 1 << 20), "proxy_password",
	       "proxy_password of 1 MB");
	free(big);
	{
		char host[300];

		memset(host, 'h', sizeof host);
		host[255] = '\0';
		accept_val("host", host, "255-character host", &f);
		setup_form_free(&f);
		host[255] = 'h';
		host[256] = '\0';
		refuse_val("host", host, "256-character host");
	}

	/* host */
	refuse_val("host", "https://soar.example.com", "scheme in host");
	ok(strstr(err, "scheme") != NULL, "says scheme");
	refuse_val("host", "soar.example.com/path", "path in host");
	refuse_val("host", "soar.example.com:443", "port in host");
	ok(strstr(err, "port") != NULL, "says port");
	refuse_val("host", "[fe80::1]:443", "port after IPv6 host");
	refuse_val("host", "soar example", "space in host");
	refuse_val("host", "", "empty host");
	refuse_val("host", "   ", "blank host");
	refuse_val("host", "user@soar", "user in host");
	refuse_val("host", "soar;rm", "semicolon in host");
	refuse_val("host", "soär", "non-ASCII host");
	refuse_val("host", ".soar", "leading dot");
	refuse_val("host", "a..b", "empty label");
	refuse_val("host", "[zz::1]", "bad IPv6 literal");
	refuse(form_with("host", NULL, 0), "host", "missing host");

	/* port */
	refuse_val("port", "0", "port 0");
	refuse_val("port", "65536", "port 65536");
	refuse_val("port", "44x", "port 44x");
	refuse_val("port", "-1", "port -1");
	refuse_val("port", "99999999999999999999", "port overflow");
	refuse_val("port", "4 43", "port with space");

	/* required strings */
	refuse(form_with("org", NULL, 0), "org", "missing org");
	refuse_val("org", "  ", "blank org");
	refuse(form_with("user", NULL, 0), "user", "missing user");
	/* no secret: keep the stored one (the handler checks there is one) */
	ok(parse(form_with("secret", NULL, 0), &f) == 0 && f.keep_secret == 1 &&
		   !strcmp(f.secret, ""),
	   "missing secret: accepted, keep the stored one");
	setup_form_free(&f);
	accept_val("secret", "", "empty secret: keep the stored one", &f);
	is_int(f.keep_secret, 1, "empty secret: keep_secret");
	setup_form_free(&f);
	accept_val("secret", SECRET, "a secret given", &f);
	is_int(f.keep_secret, 0, "a secret given: not kept");
	setup_form_free(&f);
	refuse_val("secret", "abc", "3-character secret");
	ok(strstr(err, "Password is too short") != NULL,
	   "says Password is too short");
	{
		json_t *k = json_pack("[[s s][s s][s s][s s][s s]]", "host",
				      "soar.example.com", "org", "O", "user",
				      "key-id", "secret", "abc", "api_keys",
				      "1");

		refuse(k, "secret", "3-character API key secret");
		ok(strstr(err, "API key secret is too short") != NULL,
		   "with API keys the label is API key secret");
	}

	/* flags */
	refuse_val("api_keys", "2", "api_keys 2");
	refuse_val("api_keys", "yes please", "api_keys text");
	refuse_val("duplicates", "maybe", "duplicates text");
	accept_val("duplicates", "false", "duplicates false", &f);
	setup_form_free(&f);

	/* numbers */
	refuse_val("num_artifacts", "0", "num_artifacts 0");
	refuse_val("num_artifacts", "100", "num_artifacts 100");
	refuse_val("num_artifacts", "1.5", "num_artifacts 1.5");
	refuse_val("num_events", "0", "num_events 0");
	refuse_val("num_events", "10001", "num_events 10001");
	accept_val("num_artifacts", "1", "num_artifacts 1", &f);
	setup_form_free(&f);

	/* proxy */
	j = form_with("proxy_host", "proxy.corp", 10);
	refuse(j, "proxy_port", "proxy_host without proxy_port");
	j = form_with("proxy_host", "proxy.corp", 10);
	add(j, "proxy_port", "0");
	refuse(j, "proxy_port", "proxy_port 0");
	j = form_with("proxy_host", "proxy.corp", 10);
	add(j, "proxy_port", "65536");
	refuse(j, "proxy_port", "proxy_port 65536");
	j = form_with("proxy_host", "http://proxy.corp/path", 22);
	add(j, "proxy_port", "3128");
	refuse(j, "proxy_host", "proxy_host with a path");
	j = form_with("proxy_host", "socks5://proxy.corp", 19);
	add(j, "proxy_port", "1080");
	refuse(j, "proxy_host", "proxy_host socks scheme");
	j = form_with("proxy_host", "proxy.corp:3128", 15);
	add(j, "proxy_port", "3128");
	refuse(j, "proxy_host", "proxy_host with a port");
	j = form_with("proxy_host", "HTTP://proxy.corp", 17);
	add(j, "proxy_port", "3128");
	add(j, "proxy_user", "pu");
	ok(parse(j, &f) == 0 && f.keep_proxy_password == 1,
	   "proxy_user without proxy_password: keep the stored one");
	setup_form_free(&f);
	j = form_with("proxy_host", "proxy.corp", 10);
	add(j, "proxy_port", "3128");
	add(j, "proxy_user", "pu");
	add(j, "proxy_password", "abc");
	refuse(j, "proxy_password", "3-character proxy_password");
	j = form_with("proxy_user", "pu", 2);
	add(j, "proxy_password", PROXY_PW);
	refuse(j, "proxy_host", "proxy_user without proxy_host");
	j = form_with("proxy_host", "proxy.corp", 10);
	add(j, "proxy_port", "3128");
	add(j, "proxy_user", "pu");
	add(j, "proxy_password", PROXY_PW);
	ok(parse(j, &f) == 0, "proxy with login accepted");
	is_int(f.proxy_port, 3128, "proxy_port parsed");
	setup_form_free(&f);

	/* structure */
	j = form_with(NULL, NULL, 0);
	add(j, "host", "other.example");
	refuse(j, "host", "repeated host");
	ok(strstr(err, "more than once") != NULL, "says more than once");
	j = form_with(NULL, NULL, 0);
	add(j, "secret", "another-one");
	refuse(j, "secret", "repeated secret");
	ok(!strstr(err, "another-one"), "repeated secret not echoed");
	refuse(json_pack("[[s s s]]", "host", "a", "b"), "form",
	       "three-element pair");
	refuse(json_pack("[[i s]]", 1, "a"), "form", "non-string key");
	refuse(json_pack("[s]", "host"), "form", "bare string entry");
	refuse(json_string("host=x"), "form", "form is a string");
	refuse(json_pack("[[s [s]]]", "host", "x"), "host",
	       "array value refused");
	refuse(json_pack("[[s f]]", "port", 1.5), "port", "real value refused");
	j = json_pack("[[s n][s s][s s][s s]]", "host", "org", "O", "user",
		      "u", "secret", SECRET);
	refuse(j, "host", "null host counts as missing");
	j = json_array();
	ok(setup_form_parse(j, &f, NULL, NULL, 0, NULL, 0) == -1,
	   "NULL errors and field/err buffers tolerated");
	json_decref(j);

	/* every invalid field at once, in the form's order of checks */
	j = json_pack("[[s s][s s][s s][s s][s s][s s][s s]]", "host",
		      "https://soar", "port", "70000", "org", " ", "user",
		      "u\n[x]", "num_events", "0", "proxy_user", "pu",
		      "verify", "false");
	ok(parse(j, &f) == -1, "several bad fields: refused");
	{
		char got[256] = "";
		size_t e;

		for (e = 0; e < json_array_size(errors); e++) {
			size_t k = strlen(got);

			snprintf(got + k, sizeof got - k, "%s%s", e ? "," : "",
				 json_string_value(json_object_get(
					 json_array_get(errors, e), "field")));
		}
		is_str(got, "user,host,port,verify,org,num_events,proxy_host",
		       "errors lists every bad field (collected, then checked)");
		is_str(field, "user", "field is the first");
		ok(strstr(json_string_value(json_object_get(
				  json_array_get(errors, 3), "text")),
			  "Verify SOAR's certificate cannot be turned off") !=
			   NULL,
		   "verify false: says the check cannot be turned off");
	}
	json_decref(errors);
	errors = NULL;

	return tap_done();
}
