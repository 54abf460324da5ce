/*
 * Check suite for orders/phone.c: each accepted way of writing a number and
 * its E.164 form, each refusal with the rule it names, the length limits on
 * both sides, and the overseas prefixes of the French plan.
 */
#include <string.h>

#include "orders/phone.h"
#include "tests/testutil.h"

static void
ok(const char *in, const char *want)
{
	char out[PHONE_E164_MAX];
	struct field_error err = { "", "" };

	ck_assert_msg(phone_normalise(in, out, &err) == 0, "'%s' refused: %s",
	    in, err.msg);
	ck_assert_str_eq(out, want);
}

static void
bad(const char *in, const char *msg)
{
	char out[PHONE_E164_MAX] = "junk";
	struct field_error err = { "", "" };

	ck_assert_msg(phone_normalise(in, out, &err) == -1, "'%s' accepted",
	    in != NULL ? in : "(null)");
	ck_assert_str_eq(err.field, "phone");
	ck_assert_msg(strstr(err.msg, msg) != NULL, "'%s': got '%s'",
	    in != NULL ? in : "(null)", err.msg);
	ck_assert_str_eq(out, "");
}

START_TEST(french_national)
{
	ok("0612345678", "+33612345678");
	ok("06 12 34 56 78", "+33612345678");
	ok("06.12.34.56.78", "+33612345678");
	ok("06-12-34-56-78", "+33612345678");
	ok("  06 12 34 56 78  ", "+33612345678");
	ok("06 . 12 - 34 56  78", "+33612345678");
	ok("0112345678", "+33112345678");
	ok("0556000000", "+33556000000");
	ok("0712345678", "+33712345678");
	ok("0912345678", "+33912345678");
	ok("0800123456", "+33800123456");
	ok("0512345678", "+33512345678");	/* 05 but not 0508 */
}
END_TEST

START_TEST(french_national_bad)
{
	bad("061234567", "10 digits");		/* 9 digits */
	bad("06123456789", "10 digits");	/* 11 digits */
	bad("0", "10 digits");
	bad("6 12 34 56 78", "must start with 0, 00 or '+'");
	bad("612345678", "must start with 0, 00 or '+'");
	bad("06 (0)12 34 56 78", "after a country code");
}
END_TEST

START_TEST(overseas_national)
{
	ok("0590 12 34 56", "+590590123456");
	ok("0690 12 34 56", "+590690123456");
	ok("0596 12 34 56", "+596596123456");
	ok("0696 12 34 56", "+596696123456");
	ok("0594 12 34 56", "+594594123456");
	ok("0694 12 34 56", "+594694123456");
	ok("0262 12 34 56", "+262262123456");
	ok("0692 12 34 56", "+262692123456");
	ok("0693 12 34 56", "+262693123456");
	ok("0269 12 34 56", "+262269123456");
	ok("0639 12 34 56", "+262639123456");
	ok("05 08 41 23 45", "+508412345");
	/* Found by fuzzing: "+508 012235" would not read back. */
	bad("05 08 01 22 35", "not a valid French number");
	/* Near misses stay metropolitan. */
	ok("0591 12 34 56", "+33591123456");
	ok("0695 12 34 56", "+33695123456");
	ok("0263 12 34 56", "+33263123456");
	ok("0509 12 34 56", "+33509123456");
	bad("0690 12 34 5", "10 digits");
	bad("0690 12 34 567", "10 digits");
}
END_TEST

START_TEST(international)
{
	ok("+33612345678", "+33612345678");
	ok("+33 6 12 34 56 78", "+33612345678");
	ok("0033 6 12 34 56 78", "+33612345678");
	ok("0033612345678", "+33612345678");
	ok("+34 612 345 678", "+34612345678");
	ok("0034612345678", "+34612345678");
	ok("+351 912 345 678", "+351912345678");
	ok("+7 912 345 67 89", "+79123456789");
	ok("+995 555 12 34 56", "+995555123456");
	ok("+44 20 7946 0958", "+442079460958");
	ok("+1 202 555 0143", "+12025550143");
	ok("+ 33 6 12 34 56 78", "+33612345678");
	/* E.164: 8 to 15 digits. */
	ok("+12345678", "+12345678");
	ok("+123456789012345", "+123456789012345");
	ok("00123456789012345", "+123456789012345");
	bad("+1234567", "8 to 15");
	bad("+1234567890123456", "8 to 15");
	bad("001234567890123456", "8 to 15");
	bad("+12345678901234567890123456789", "8 to 15");
}
END_TEST

START_TEST(trunk_zero)
{
	/* "(0)" after the country code is dropped. */
	ok("+33 (0)6 12 34 56 78", "+33612345678");
	ok("+33(0)612345678", "+33612345678");
	ok("0033 (0)6 12 34 56 78", "+33612345678");
	ok("+44 (0)20 7946 0958", "+442079460958");
	/* A bare 0 after +33: the national form pasted after the code. */
	ok("+33 06 12 34 56 78", "+33612345678");
	ok("0033 06 12 34 56 78", "+33612345678");
	ok("+590 0690 12 34 56", "+590690123456");
	ok("+262 0692 12 34 56", "+262692123456");
	ok("+508 0 41 23 45", "+508412345");
	/* Kept elsewhere: a 0 after another country code may be real. */
	ok("+39 06 1234 5678", "+390612345678");
	bad("+33 (0)6 12 34 56 7", "has 9 digits");
	bad("+33 00 12 34 56 78", "has 9 digits");
	bad("+33 0 6 12 34 56 7", "has 9 digits");
	bad("+33 (0)(0)6 12 34 56 78", "brackets");
	bad("(0)6 12 34 56 78", "brackets");
	bad("+33 (1)6 12 34 56 78", "brackets");
	bad("+33 (06) 12 34 56 78", "brackets");
	bad("+33 (0", "brackets");
	bad("+33 (", "brackets");
	bad("+33 )6", "may only contain");
}
END_TEST

START_TEST(french_after_code)
{
	bad("+33 6 12 34 56 7", "after +33 has 9 digits");
	bad("+33 6 12 34 56 789", "after +33 has 9 digits");
	bad("+33", "after +33 has 9 digits");
	bad("+590 690 12 34 5", "after +590 has 9 digits");
	bad("+596 12345", "after +596 has 9 digits");
	bad("+594 1234567890", "after +594 has 9 digits");
	bad("+262 12", "after +262 has 9 digits");
	bad("+508 41234", "after +508 has 6 digits");
	bad("+508 4123456", "after +508 has 6 digits");
	ok("+508 41 23 45", "+508412345");
	ok("+262 269 12 34 56", "+262269123456");
}
END_TEST

START_TEST(refused_forms)
{
	char buf[64];

	bad(NULL, "required");
	bad("", "required");
	bad("   ", "digits");
	bad("+", "must contain digits");
	bad("+ ", "must contain digits");
	bad("00", "needs digits after the international prefix");
	bad("00 ", "needs digits after the international prefix");
	bad("000033612345678", "country code");
	bad("+0612345678", "country code");
	bad("++33612345678", "'+'");
	bad("06+12345678", "'+'");
	bad("+33+612345678", "'+'");
	bad("06 12 34 56 7a", "may only contain");
	bad("O6 12 34 56 78", "may only contain");	/* letter O */
	bad("06/12/34/56/78", "may only contain");
	bad("06_12_34_56_78", "may only contain");
	bad("06\t12345678", "may only contain");
	bad("06\n12345678", "may only contain");
	bad("tel: 0612345678", "may only contain");
	bad("\xd9\xa0\xd9\xa6", "may only contain");	/* Arabic digits */
	bad("06\xc2\xa0" "12345678", "may only contain");	/* NBSP */
	bad("+33 6 12 34 56 78 ext 12", "may only contain");

	/* PHONE_INPUT_MAX characters are read; one more is refused. */
	memset(buf, ' ', sizeof(buf));
	memcpy(buf, "0612345678", 10);
	buf[PHONE_INPUT_MAX] = '\0';
	ok(buf, "+33612345678");
	memset(buf, ' ', sizeof(buf));
	memcpy(buf, "0612345678", 10);
	buf[PHONE_INPUT_MAX + 1] = '\0';
	bad(buf, "at most 40");
	memset(buf, '1', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	bad(buf, "at most 40");
}
END_TEST

START_TEST(no_value_in_message)
{
	const char *inputs[] = {
		"0698765432x", "+33 698765", "06987654321", "+0698765432",
		"06987654(0)", "+9876543210987654",
	};
	size_t i;

	for (i = 0; i < ARRAY_LEN(inputs); i++) {
		char out[PHONE_E164_MAX];
		struct field_error err = { "", "" };

		ck_assert_int_eq(phone_normalise(inputs[i], out, &err), -1);
		ck_assert_ptr_null(strstr(err.msg, "98765"));
		ck_assert_ptr_null(strstr(err.msg, "87654"));
	}
	/* NULL err is allowed. */
	{
		char out[PHONE_E164_MAX];

		ck_assert_int_eq(phone_normalise("x", out, NULL), -1);
	}
}
END_TEST

static Suite *
phone_suite(void)
{
	Suite *s = suite_create("phone");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, french_national);
	tcase_add_test(tc, french_national_bad);
	tcase_add_test(tc, overseas_national);
	tcase_add_test(tc, international);
	tcase_add_test(tc, trunk_zero);
	tcase_add_test(tc, french_after_code);
	tcase_add_test(tc, refused_forms);
	tcase_add_test(tc, no_value_in_message);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(phone_suite)
