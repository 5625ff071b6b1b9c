/*
 * schema_format.c - RFC 3339 dates and times for the schema validator.
 *
 * Written out by hand rather than with strptime(): strptime accepts single
 * digits, spaces and day 31 of any month, and RFC 3339 wants none of that.
 */
#include "schema_format.h"

#define DATE_LEN 10 /* YYYY-MM-DD */
#define TIME_LEN 8  /* HH:MM:SS */

/* Reads exactly n ASCII digits as a number; -1 when any is not a digit. */
static int read_digits(const char *s, size_t n)
{
	int value = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		value = value * 10 + (s[i] - '0');
	}
	return value;
}

static int is_leap_year(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int year, int month)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (month == 2 && is_leap_year(year))
		return 29;
	return days[month - 1];
}

/* The first DATE_LEN bytes of s (the caller checked there are that many). */
static int is_full_date(const char *s)
{
	int year = read_digits(s, 4);
	int month = read_digits(s + 5, 2);
	int day = read_digits(s + 8, 2);

	if (s[4] != '-' || s[7] != '-' || year < 0 || month < 1 || month > 12)
		return 0;
	return day >= 1 && day <= days_in_month(year, month);
}

int civic_schema__is_date(const char *s, size_t len)
{
	return len == DATE_LEN && is_full_date(s);
}

/*
 * Reads "Z" or "+HH:MM" / "-HH:MM" at s, which is the end of the string; sets
 * *minutes east of UTC. Returns 1 when that is all that is left.
 */
static int read_offset(const char *s, size_t len, int *minutes)
{
	int hour, minute;

	if (len == 1 && (s[0] == 'Z' || s[0] == 'z')) {
		*minutes = 0;
		return 1;
	}
	if (len != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':')
		return 0;
	hour = read_digits(s + 1, 2);
	minute = read_digits(s + 4, 2);
	if (hour < 0 || hour > 23 || minute < 0 || minute > 59)
		return 0;
	*minutes = (hour * 60 + minute) * (s[0] == '-' ? -1 : 1);
	return 1;
}

int civic_schema__is_date_time(const char *s, size_t len)
{
	const char *t = s + DATE_LEN + 1;
	size_t at = DATE_LEN + 1 + TIME_LEN;
	int hour, minute, second, offset, utc;

	if (len < at + 1 || !is_full_date(s) || (s[DATE_LEN] != 'T' && s[DATE_LEN] != 't'))
		return 0;
	if (t[2] != ':' || t[5] != ':')
		return 0;
	hour = read_digits(t, 2);
	minute = read_digits(t + 3, 2);
	second = read_digits(t + 6, 2);
	if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60)
		return 0;
	if (s[at] == '.') {
		size_t digits = 0;
		for (at++; at < len && s[at] >= '0' && s[at] <= '9'; at++)
			digits++;
		if (digits == 0)
			return 0;
	}
	if (!read_offset(s + at, len - at, &offset))
		return 0;
	if (second < 60)
		return 1;
	/* A leap second is inserted at the end of a UTC day: 23:59:60Z, or the same instant in another zone. */
	utc = ((hour * 60 + minute - offset) % 1440 + 1440) % 1440;
	return utc == 23 * 60 + 59;
}
