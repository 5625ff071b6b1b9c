/* test_municipality.c - slugs and Bulgarian names of the nine municipalities. */
#include "helpers.h"

#include "municipality.h"

/* DESIGN.md section 1, in Bulgarian alphabetical order. */
static const struct { const char *slug, *name; } expected[] = {
	{ "bobov-dol", "Бобов дол" },
	{ "boboshevo", "Бобошево" },
	{ "dupnitsa", "Дупница" },
	{ "kocherinovo", "Кочериново" },
	{ "kyustendil", "Кюстендил" },
	{ "nevestino", "Невестино" },
	{ "rila", "Рила" },
	{ "sapareva-banya", "Сапарева баня" },
	{ "treklyano", "Трекляно" },
};
#define N_EXPECTED (sizeof expected / sizeof expected[0])

static void test_municipality_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N_EXPECTED; i++) {
		assert_non_null(civic_municipalities[i].slug);
		assert_string_equal(civic_municipalities[i].slug, expected[i].slug);
		assert_string_equal(civic_municipalities[i].name, expected[i].name);
	}
	assert_null(civic_municipalities[N_EXPECTED].slug);
	assert_null(civic_municipalities[N_EXPECTED].name);
}

static void test_municipality_find_by_slug(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N_EXPECTED; i++) {
		const civic_municipality *m = civic_municipality_find(expected[i].slug);
		assert_ptr_equal(m, &civic_municipalities[i]);
	}
}

static void test_municipality_find_by_name(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N_EXPECTED; i++) {
		const civic_municipality *m = civic_municipality_find(expected[i].name);
		assert_ptr_equal(m, &civic_municipalities[i]);
	}
}

static void test_municipality_find_case_folded_cyrillic(void **state)
{
	const civic_municipality *m;

	(void)state;
	m = civic_municipality_find("сапарева баня");
	assert_non_null(m);
	assert_string_equal(m->slug, "sapareva-banya");
	m = civic_municipality_find("САПАРЕВА БАНЯ");
	assert_non_null(m);
	assert_string_equal(m->slug, "sapareva-banya");
	m = civic_municipality_find("кюстендил");
	assert_non_null(m);
	assert_string_equal(m->slug, "kyustendil");
	m = civic_municipality_find("бОбОв ДоЛ");
	assert_non_null(m);
	assert_string_equal(m->slug, "bobov-dol");
	m = civic_municipality_find("ТРЕКЛЯНО");
	assert_non_null(m);
	assert_string_equal(m->slug, "treklyano");
	/* Ю, Я and Щ-range letters fold too. */
	m = civic_municipality_find("КЮСТЕНДИЛ");
	assert_non_null(m);
	assert_string_equal(m->slug, "kyustendil");
}

static void test_municipality_unknown(void **state)
{
	static const char *const unknown[] = {
		"", "sofia", "София", "Рил", "Рилаа", "Сапарева", "сапарева  баня", "сапарева-баня",
		"rila ", " rila", "ril", "bobov", "Sapareva Banya",
		"\xd0", "\xd0\xa0\xd0", "\xff\xfe", /* truncated and invalid UTF-8 */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
		if (civic_municipality_find(unknown[i]))
			fail_msg("'%s' should match no municipality", unknown[i]);
	}
}

static void test_municipality_name(void **state)
{
	const char *unknown = "sofia";

	(void)state;
	assert_string_equal(civic_municipality_name("sapareva-banya"), "Сапарева баня");
	assert_string_equal(civic_municipality_name("rila"), "Рила");
	assert_string_equal(civic_municipality_name("kyustendil"), "Кюстендил");
	/* Unknown: the slug itself, same pointer. */
	assert_ptr_equal(civic_municipality_name(unknown), unknown);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_municipality_table),
		cmocka_unit_test(test_municipality_find_by_slug),
		cmocka_unit_test(test_municipality_find_by_name),
		cmocka_unit_test(test_municipality_find_case_folded_cyrillic),
		cmocka_unit_test(test_municipality_unknown),
		cmocka_unit_test(test_municipality_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
