#include "tap.h"
#include "alert/note.h"

#include <stdlib.h>
#include <string.h>

int main(void)
{
	struct catalog cat = CATALOG_INIT;
	struct note_about about = { "Brute Force - Rule", "admin", 1714557600 };
	struct note_about adhoc = { "", "alice", 1714557600 };
	struct note_book *b = note_book_new();
	const struct note_entry *e;
	json_t *ch1, *ch2, *ad1, *ad2;
	char err[256], *text;

	if (catalog_load_files(&cat, "tests/emu/data/fields.json",
			       "tests/emu/data/artifact_types.json", err,
			       sizeof(err)) != 0) {
		ok(0, err);
		return tap_done();
	}
	ch1 = json_pack("{s:i,s:{s:s,s:s}}", "severity_code", 52, "description",
			"format", "html", "content", "<p>one</p><p>two &amp; more</p>");
	ch2 = json_pack("{s:i,s:[i,i],s:I,s:b,s:s}", "severity_code", 50,
			"incident_type_ids", 18, 19, "discovered_date",
			(json_int_t)1714557600000LL, "confirmed", 1,
			"properties.splunk_search_name", "X");
	ad1 = json_pack("[{s:s,s:s}]", "type", "IP Address", "value", "10.0.0.9");
	ad2 = json_pack("[{s:s,s:s},{s:s,s:s}]", "type", "IP Address", "value",
			"10.0.0.9", "type", "DNS Name", "value", "evil.example");

	ok(note_book_add(b, 7, 0, "N@@notable@@1", ch1, ad1, "0", NULL, NULL) == 0,
	   "first row of case 7");
	ok(note_book_add(b, 7, 0, "N@@notable@@1", ch2, ad2, "1", "s", "2") == 0,
	   "second row of case 7");
	ok(note_book_add(b, 8, 1, "M@@notable@@1", NULL, NULL, "2", NULL, NULL) == 0,
	   "case 8 created");
	ok(note_book_add(b, 8, 0, "M@@notable@@1", ch2, NULL, "3", NULL, NULL) == 0,
	   "case 8 changed by a later row");
	ok(note_book_add(b, 9, 0, NULL, NULL, NULL, "4", NULL, NULL) == 0,
	   "case 9 unchanged");
	is_int(note_book_size(b), 3, "three cases");
	e = note_book_get(b, 0);
	ok(note_needed(e), "case 7 needs a note");
	ok(!note_needed(note_book_get(b, 1)), "no note for a case the run created");
	ok(!note_needed(note_book_get(b, 2)), "no note when nothing changed");
	is_str(e->rid, "1", "the last row's rid is kept");
	is_str(e->orig_sid, "s", "and its orig_sid");
	is_int(json_array_size(e->added), 2, "an artifact listed once");
	text = note_text(&about, e, &cat);
	is_str(text,
	       "Splunk search \"Brute Force - Rule\" fired again at 2024-05-01 10:00:00 UTC for notable N@@notable@@1.\n"
	       "Changed fields: Severity: Low; Description: one two & more; Incident Type: Malware, Phishing; "
	       "Date Discovered: 2024-05-01 10:00:00 UTC; Incident Disposition: Yes; Splunk Search Name: X\n"
	       "New artifacts: IP Address 10.0.0.9; DNS Name evil.example",
	       "note: labels, UTC dates, text without markup, latest values");
	free(text);
	text = note_text(&adhoc, e, &cat);
	ok(text && strncmp(text, "An ad hoc run by alice escalated this case again at 2024-05-01 10:00:00 UTC", 74) == 0,
	   "ad hoc run: says who");
	free(text);
	json_decref(ch1);
	json_decref(ch2);
	json_decref(ad1);
	json_decref(ad2);
	note_book_free(b);
	catalog_free(&cat);
	return tap_done();
}
