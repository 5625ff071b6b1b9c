/* json_cache.c - tagged JSON cache files; see json_cache.h. */
#include "json_cache.h"
#include "buf.h"
#include "error.h"
#include "fsutil.h"

#include <stdlib.h>
#include <string.h>

json_t *civic_json_cache_load(const char *path, const char *format, size_t max)
{
	civic_buf text = CIVIC_BUF_INIT;
	json_t *doc = NULL;
	const char *tag;

	if (civic_buf_read_file(&text, path, max) == 0)
		doc = json_loadb(text.ptr, text.size, JSON_REJECT_DUPLICATES, NULL);
	civic_buf_dispose(&text);
	civic_error_clear();
	tag = json_string_value(json_object_get(doc, "format"));
	if (!tag || strcmp(tag, format)) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

int civic_json_cache_save(const char *tmp_dir, const char *path, const json_t *doc)
{
	char *text = json_dumps(doc, JSON_SORT_KEYS);
	int error;

	if (!text)
		return civic_error_nomem();
	if ((error = civic_fs_mkdir(tmp_dir, 0700)) == 0)
		error = civic_fs_write_atomic(path, text, strlen(text), 0600, 0);
	free(text);
	return error;
}
