/*
 * unit-json - the JSON reader: a postqueue -j record, every kind of value,
 * escapes and surrogates, and what it must refuse.
 */
#include <string.h>

#include "json.h"
#include "log.h"
#include "tap.h"

static const char *pq =
"{\"queue_name\": \"deferred\", \"queue_id\": \"4Q1xYz3GxzzB\", \"arrival_time\": "
"1764763200, \"message_size\": 328, \"forced_expire\": false, \"sender\": \"\", "
"\"recipients\": [{\"address\": \"a@example.com\", \"delay_reason\": \"connect to "
"mx.example.com[192.0.2.1]:25: Connection refused\"}, {\"address\": "
"\"b@\\u00e9xample.com\"}]}";

static void test_record(void)
{
    char    why[128];
    struct json *j = json_parse(pq, strlen(pq), why, sizeof(why));
    const struct json *r;

    ok(j != NULL, "a postqueue -j record parses (%s)", j ? "ok" : why);
    is_string("deferred", json_str(j, "queue_name"), "a string member");
    is_string("", json_str(j, "sender"), "the null sender");
    ok(json_get(j, "arrival_time") && json_get(j, "arrival_time")->n == 1764763200.0,
       "a number");
    ok(json_get(j, "forced_expire") && json_get(j, "forced_expire")->type == JSON_BOOL
       && !json_get(j, "forced_expire")->b, "false");
    r = json_get(j, "recipients");
    is_int(2, r ? (long) r->len : -1, "an array of two objects");
    is_string("b@\xc3\xa9xample.com", r && r->len == 2 ? json_str(r->v[1], "address")
	      : NULL, "\\u00e9 as UTF-8");
    ok(json_str(j, "missing") == NULL && json_str(r, "address") == NULL,
       "absent members, and members of a non-object, are NULL");
    json_free(j);
}

static void test_values(void)
{
    static const struct {
	const char *text;
	bool    good;
	const char *what;
    } v[] = {
	{"[true, null, -1.5e3, \"\\ud83d\\ude00\", {}, []]", true, "every kind, a surrogate pair"},
	{"  \"a\\\"b\\\\c\\/\\n\\t\"  ", true, "escapes, blanks around"},
	{"{\"a\": 1,}", false, "a trailing comma"},
	{"[1] x", false, "garbage after the value"},
	{"\"\\ud83d\"", false, "a lone high surrogate"},
	{"\"\\ude00\"", false, "a lone low surrogate"},
	{"\"\\u0000\"", false, "an escaped NUL"},
	{"\"a\nb\"", false, "a raw control character"},
	{"01", false, "a leading zero"},
	{"-", false, "a bare minus"},
	{"tru", false, "a cut literal"},
	{"[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]", false, "nested too deeply"},
	{"", false, "nothing"},
	{"{\"a\" 1}", false, "no colon"},
	{"\"abc", false, "an unterminated string"},
    };

    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
	char    why[128];
	struct json *j = json_parse(v[i].text, strlen(v[i].text), why, sizeof(why));

	ok((j != NULL) == v[i].good, "%s: %s", v[i].what, v[i].good ? "accepted"
	   : "refused");
	ok(v[i].good || why[0] != '\0', "%s: a reason (%s)", v[i].what, why);
	json_free(j);
    }
}

int     main(void)
{
    plan(8 + 30);
    log_init("unit-json", false);
    test_record();
    test_values();
    return exit_status();
}
