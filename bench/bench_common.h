/*
 * bench_common.h - what the benchmark programs share: a monotonic clock,
 * a median, and realistic records (Bulgarian minutes, recommendations and
 * documents of the Kyustendil network, a few hundred bytes of Cyrillic
 * Markdown each, different for every sequence number).
 */
#ifndef CIVIC_BENCH_COMMON_H
#define CIVIC_BENCH_COMMON_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"

static inline double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts v in place and returns its median. */
static inline double bench_median(double *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

typedef struct {
	const char *slug, *name;
} bench_municipality;

static const bench_municipality bench_municipalities[] = {
	{ "bobov-dol", "Бобов дол" },       { "boboshevo", "Бобошево" },
	{ "dupnitsa", "Дупница" },          { "kocherinovo", "Кочериново" },
	{ "kyustendil", "Кюстендил" },      { "nevestino", "Невестино" },
	{ "rila", "Рила" },                 { "sapareva-banya", "Сапарева баня" },
	{ "treklyano", "Трекляно" },
};
#define BENCH_MUNICIPALITIES (sizeof bench_municipalities / sizeof bench_municipalities[0])

static const char *const bench_topics[] = {
	"обществени срещи в селата",
	"прозрачност на общинския бюджет",
	"ремонт на читалището",
	"транспорт до отдалечените села",
	"събиране на отпадъци",
	"младежки инициативи и доброволчество",
	"достъп до обществена информация",
	"социални услуги за възрастни хора",
};
#define BENCH_TOPICS (sizeof bench_topics / sizeof bench_topics[0])

static const char *const bench_paragraphs[] = {
	"Координаторът представи НПО Мрежата и изводите от SWOT анализа. Беше отбелязано, че "
	"читалищата са основната гражданска структура и имат доверието на хората.",
	"Представителите на НПО посочиха, че жителите на по-отдалечените села рядко научават "
	"навреме за предстоящите решения на общината.",
	"Кметът сподели, че общината също изпитва трудности да разбере какви са приоритетите "
	"в отделните села, и подкрепи идеята за редовни срещи.",
	"Председателят на Общинския съвет предложи на срещите да присъстват и общински "
	"съветници, за да чуват предложенията пряко.",
	"Участниците се договориха препоръката да бъде внесена писмено и отговорът на "
	"общината да бъде публикуван в архива на Мрежата.",
};
#define BENCH_PARAGRAPHS (sizeof bench_paragraphs / sizeof bench_paragraphs[0])

/* A valid date between 2014-01-01 and 2017-12-28 that depends on seq. */
static inline void bench_date(char out[11], uint64_t seq)
{
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)(2014 + seq % 4), (unsigned)(1 + seq / 4 % 12),
		 (unsigned)(1 + seq / 48 % 28));
}

/* The Markdown body of record seq: 400 to 900 bytes of Bulgarian. */
static inline int bench_body(civic_buf *out, uint64_t seq, const bench_municipality *m,
			     const char *topic)
{
	size_t i, n = 2 + seq % 2;

	civic_buf_clear(out);
	civic_buf_printf(out, "# Протокол № %llu, община %s\n\n", (unsigned long long)seq, m->name);
	civic_buf_printf(out, "- **Тема:** %s\n- **Място:** %s, заседателната зала на общината\n\n",
			 topic, m->name);
	civic_buf_puts(out, "## Обсъждане\n\n");
	for (i = 0; i < n; i++)
		civic_buf_printf(out, "%s\n\n", bench_paragraphs[(seq + i) % BENCH_PARAGRAPHS]);
	civic_buf_printf(out, "Протоколът е изготвен от координатора от НПО Мрежата (запис %llu).\n",
			 (unsigned long long)seq);
	return civic_buf_oom(out) ? -1 : 0;
}

/*
 * Record number seq: half minutes, a quarter recommendations, a quarter
 * documents, as the Kyustendil archive holds them. NULL on out of memory.
 */
static inline json_t *bench_record(uint64_t seq)
{
	const bench_municipality *m = &bench_municipalities[seq % BENCH_MUNICIPALITIES];
	const char *topic = bench_topics[seq / BENCH_MUNICIPALITIES % BENCH_TOPICS];
	static const char *const meetings[] = { "working-meeting", "information-meeting", "training",
						"public-consultation" };
	static const char *const bodies[] = { "mayor", "council", "administration" };
	static const char *const doctypes[] = { "report", "position", "training-material", "plan" };
	civic_buf body = CIVIC_BUF_INIT, title = CIVIC_BUF_INIT;
	char date[11];
	json_t *r = NULL;

	bench_date(date, seq);
	if (bench_body(&body, seq, m, topic) < 0)
		goto done;
	switch (seq % 4) {
	case 0:
	case 1:
		civic_buf_printf(&title, "Протокол от среща в община %s: %s (№ %llu)", m->name, topic,
				 (unsigned long long)seq);
		r = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s, s, s], s:s}",
			      "kind", "minutes", "visibility", seq % 3 ? "public" : "network",
			      "language", "bg", "title", title.ptr, "municipality", m->slug,
			      "date", date, "meeting_type", meetings[seq % 4 ? 1 + seq / 4 % 3 : 0],
			      "place", m->name, "participants", "Кметът на общината",
			      "Представители на общинската администрация",
			      "Координатор от НПО Мрежата", "body", body.ptr);
		break;
	case 2:
		civic_buf_printf(&title, "Препоръка до община %s: %s (№ %llu)", m->name, topic,
				 (unsigned long long)seq);
		r = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:s, s:s}",
			      "kind", "recommendation", "visibility", "public", "language", "bg",
			      "title", title.ptr, "municipality", m->slug, "date", date,
			      "addressee", "municipality", m->slug, "body", bodies[seq / 4 % 3],
			      "topic", topic, "body", body.ptr);
		break;
	default:
		civic_buf_printf(&title, "Доклад за община %s: %s (№ %llu)", m->name, topic,
				 (unsigned long long)seq);
		r = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			      "kind", "document", "visibility", "public", "language", "bg",
			      "title", title.ptr, "municipality", m->slug, "date", date,
			      "document_type", doctypes[seq / 4 % 4], "body", body.ptr);
		break;
	}
done:
	civic_buf_dispose(&body);
	civic_buf_dispose(&title);
	return r;
}

#endif
