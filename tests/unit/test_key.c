/* test_key.c - keys, key files and OpenSSH import; ssh-keygen is the independent check. */
#include "helpers.h"

#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "key.h"

#define PASS "correct horse battery staple"

/* Made once for the whole group: argon2id is slow on purpose. */
static struct {
	char *dir;
	civic_key *key;
	char enc_path[4200];   /* the key saved with PASS */
	char clear_path[4200]; /* the key saved without a passphrase */
	char ssh_path[4200];   /* an ed25519 key made by ssh-keygen -N '' */
} g;

/*------------------------------------------------------------------------
 * Helpers
 */

static char *read_file(const char *path, size_t *len)
{
	civic_buf b = CIVIC_BUF_INIT;
	assert_civic_ok(civic_buf_read_file(&b, path, 1 << 20));
	*len = b.size;
	return civic_buf_detach(&b);
}

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void path_in(char *out, size_t size, const char *name)
{
	int n = snprintf(out, size, "%s/%s", g.dir, name);
	assert_true(n > 0 && (size_t)n < size);
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof cmd);
	return system(cmd);
}

/* The first line a command prints, without its newline. */
static void capture(char *out, size_t size, const char *cmd)
{
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(out, (int)size, p));
	out[strcspn(out, "\n")] = '\0';
	assert_int_equal(pclose(p), 0);
}

/* The n-th space-separated field of a line, 0-based, copied to out. */
static void field(char *out, size_t size, const char *line, int n)
{
	const char *p = line;
	size_t len;

	while (n-- > 0) {
		p = strchr(p, ' ');
		assert_non_null(p);
		p++;
	}
	len = strcspn(p, " \n");
	assert_true(len < size);
	memcpy(out, p, len);
	out[len] = '\0';
}

static int loads(const char *path, const char *pass)
{
	civic_key *k = NULL;
	int rc = civic_key_load(&k, path, pass, pass ? strlen(pass) : 0);
	if (rc < 0)
		assert_null(k);
	civic_key_free(k);
	return rc;
}

/* Same secret key: ed25519 is deterministic, so equal signatures. */
static void assert_same_key(const civic_key *a, const civic_key *b)
{
	static const uint8_t msg[] = "same key?";
	uint8_t sa[crypto_sign_BYTES], sb[crypto_sign_BYTES];

	assert_true(civic_pubkey_equal(civic_key_public(a), civic_key_public(b)));
	assert_civic_ok(civic_key__sign(sa, a, msg, sizeof msg));
	assert_civic_ok(civic_key__sign(sb, b, msg, sizeof msg));
	assert_memory_equal(sa, sb, sizeof sa);
}

static int group_setup(void **state)
{
	(void)state;
	g.dir = test_tmpdir_new();
	path_in(g.enc_path, sizeof g.enc_path, "enc.key");
	path_in(g.clear_path, sizeof g.clear_path, "clear.key");
	path_in(g.ssh_path, sizeof g.ssh_path, "id_ed25519");
	assert_civic_ok(civic_key_generate(&g.key));
	assert_civic_ok(civic_key_save(g.key, g.enc_path, PASS, strlen(PASS)));
	assert_civic_ok(civic_key_save(g.key, g.clear_path, NULL, 0));
	assert_int_equal(run("ssh-keygen -q -t ed25519 -N '' -C 'ngo@kyustendil' -f '%s'",
			     g.ssh_path), 0);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	civic_key_free(g.key);
	test_tmpdir_remove(g.dir);
	return 0;
}

/*------------------------------------------------------------------------
 * Generate, save, load
 */

static void test_key_generate_gives_distinct_keys(void **state)
{
	civic_key *a = NULL, *b = NULL;
	(void)state;
	assert_civic_ok(civic_key_generate(&a));
	assert_civic_ok(civic_key_generate(&b));
	assert_false(civic_pubkey_equal(civic_key_public(a), civic_key_public(b)));
	civic_key_free(a);
	civic_key_free(b);
	civic_key_free(NULL);
}

static void test_key_roundtrip_with_passphrase(void **state)
{
	civic_key *k = NULL;
	(void)state;
	assert_civic_ok(civic_key_load(&k, g.enc_path, PASS, strlen(PASS)));
	assert_same_key(k, g.key);
	civic_key_free(k);
}

static void test_key_roundtrip_without_passphrase(void **state)
{
	civic_key *k = NULL;
	(void)state;
	assert_civic_ok(civic_key_load(&k, g.clear_path, NULL, 0));
	assert_same_key(k, g.key);
	civic_key_free(k);
	/* A passphrase given for a clear key is ignored. */
	assert_civic_ok(civic_key_load(&k, g.clear_path, "x", 1));
	assert_same_key(k, g.key);
	civic_key_free(k);
}

static void test_key_file_contents(void **state)
{
	civic_buf pub = CIVIC_BUF_INIT;
	size_t len;
	char *enc = read_file(g.enc_path, &len), *clear;
	(void)state;

	assert_civic_ok(civic_pubkey_to_openssh(&pub, civic_key_public(g.key)));
	assert_non_null(strstr(enc, "\"format\": \"civic-secret-key-1\""));
	assert_non_null(strstr(enc, "\"kdf\": \"argon2id13\""));
	assert_non_null(strstr(enc, pub.ptr));
	assert_null(strstr(enc, "\"seed\""));
	clear = read_file(g.clear_path, &len);
	assert_non_null(strstr(clear, "\"kdf\": \"none\""));
	assert_non_null(strstr(clear, "\"seed\""));
	free(enc);
	free(clear);
	civic_buf_dispose(&pub);
}

static void test_key_wrong_passphrase(void **state)
{
	(void)state;
	assert_civic(CIVIC_EAUTH, loads(g.enc_path, "correct horse battery stapl"));
	assert_non_null(strstr(civic_error_last()->message, "wrong passphrase for key '"));
	assert_null(strstr(civic_error_last()->message, "stapl"));
}

static void test_key_encrypted_needs_passphrase(void **state)
{
	(void)state;
	assert_civic(CIVIC_EAUTH, loads(g.enc_path, NULL));
	assert_non_null(strstr(civic_error_last()->message, "a passphrase is needed"));
}

static void test_key_file_is_encrypted(void **state)
{
	char missing[4200];
	(void)state;
	path_in(missing, sizeof missing, "missing.key");
	assert_int_equal(civic_key_file_is_encrypted(g.enc_path), 1);
	assert_int_equal(civic_key_file_is_encrypted(g.clear_path), 0);
	assert_civic(CIVIC_ENOTFOUND, civic_key_file_is_encrypted(missing));
}

static void test_key_file_mode_is_0600(void **state)
{
	struct stat st;
	(void)state;
	assert_int_equal(stat(g.enc_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(g.clear_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
}

static void test_key_refuses_file_readable_by_others(void **state)
{
	static const mode_t modes[] = { 0644, 0640, 0604, 0620, 0602 };
	char path[4200];
	size_t len, i;
	char *text = read_file(g.clear_path, &len);
	(void)state;

	path_in(path, sizeof path, "open.key");
	for (i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		write_file(path, text, len, modes[i]);
		assert_civic(CIVIC_EINVALID, loads(path, NULL));
		assert_non_null(strstr(civic_error_last()->message, "chmod 600"));
		assert_civic(CIVIC_EINVALID, civic_key_file_is_encrypted(path));
	}
	write_file(path, text, len, 0600);
	assert_civic_ok(loads(path, NULL));
	write_file(path, text, len, 0400);
	assert_civic_ok(loads(path, NULL));
	free(text);
}

static void test_key_save_refuses_overwrite(void **state)
{
	civic_key *other = NULL;
	size_t before_len, after_len;
	char *before = read_file(g.clear_path, &before_len), *after;
	(void)state;

	assert_civic_ok(civic_key_generate(&other));
	assert_civic(CIVIC_EEXISTS, civic_key_save(other, g.clear_path, NULL, 0));
	assert_civic(CIVIC_EEXISTS, civic_key_save(other, g.enc_path, PASS, strlen(PASS)));
	after = read_file(g.clear_path, &after_len);
	assert_int_equal(before_len, after_len);
	assert_memory_equal(before, after, before_len);
	civic_key_free(other);
	free(before);
	free(after);
}

static void test_key_save_refuses_dangling_symlink(void **state)
{
	char link_path[4200], target[4200];
	struct stat st;
	(void)state;
	path_in(link_path, sizeof link_path, "link.key");
	path_in(target, sizeof target, "target.key");
	assert_int_equal(symlink(target, link_path), 0);
	assert_civic(CIVIC_EEXISTS, civic_key_save(g.key, link_path, NULL, 0));
	assert_int_not_equal(lstat(target, &st), 0);
	unlink(link_path);
}

static void test_key_save_refuses_empty_passphrase(void **state)
{
	char path[4200];
	struct stat st;
	(void)state;
	path_in(path, sizeof path, "empty-pass.key");
	assert_civic(CIVIC_EINVALID, civic_key_save(g.key, path, "", 0));
	assert_int_not_equal(stat(path, &st), 0);
}

static void test_key_save_into_missing_dir_fails(void **state)
{
	char path[4200];
	(void)state;
	path_in(path, sizeof path, "no/such/dir.key");
	assert_civic(CIVIC_ERROR, civic_key_save(g.key, path, NULL, 0));
}

static void test_key_save_leaves_no_temp_files(void **state)
{
	char cmd[4400];
	char out[256];
	(void)state;
	snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -c tmp || true", g.dir);
	capture(out, sizeof out, cmd);
	assert_string_equal(out, "0");
}

static void test_key_load_missing_file(void **state)
{
	char path[4200];
	(void)state;
	path_in(path, sizeof path, "missing.key");
	assert_civic(CIVIC_ENOTFOUND, loads(path, NULL));
}

static void test_key_load_refuses_truncated_file(void **state)
{
	static const char *const files[] = { g.clear_path, g.enc_path };
	char path[4200];
	size_t f, len, i;
	(void)state;

	path_in(path, sizeof path, "truncated.key");
	for (f = 0; f < 2; f++) {
		char *text = read_file(files[f], &len);
		/* Every cut that loses content; only the final newline is optional. */
		for (i = 0; i + 1 < len; i++) {
			write_file(path, text, i, 0600);
			assert_civic(CIVIC_EINVALID, loads(path, PASS));
		}
		free(text);
	}
}

/* Every byte of the clear key file, flipped two ways: no variant loads. */
static void test_key_load_refuses_flipped_byte_clear(void **state)
{
	static const uint8_t masks[] = { 0x01, 0x20, 0x80 };
	char path[4200];
	size_t len, i, m;
	char *text = read_file(g.clear_path, &len);
	(void)state;

	path_in(path, sizeof path, "flipped.key");
	for (i = 0; i < len; i++) {
		for (m = 0; m < sizeof masks; m++) {
			text[i] ^= (char)masks[m];
			write_file(path, text, len, 0600);
			assert_int_not_equal(loads(path, NULL), 0);
			text[i] ^= (char)masks[m];
		}
	}
	free(text);
}

/* Flips one character inside the value of `member` of the encrypted file. */
static int load_with_flip(const char *member, size_t offset, char to)
{
	char path[4200], pattern[64];
	size_t len;
	char *text = read_file(g.enc_path, &len), *p;
	int rc;

	snprintf(pattern, sizeof pattern, "\"%s\": \"", member);
	p = strstr(text, pattern);
	assert_non_null(p);
	p += strlen(pattern) + offset;
	*p = *p == to ? (char)(to == 'A' ? 'B' : 'A') : to;
	path_in(path, sizeof path, "flipped-enc.key");
	write_file(path, text, len, 0600);
	rc = loads(path, PASS);
	free(text);
	return rc;
}

static void test_key_load_refuses_flipped_sealed(void **state)
{
	(void)state;
	assert_civic(CIVIC_EAUTH, load_with_flip("sealed", 5, 'A'));
}

static void test_key_load_refuses_flipped_nonce(void **state)
{
	(void)state;
	assert_civic(CIVIC_EAUTH, load_with_flip("nonce", 3, 'A'));
}

static void test_key_load_refuses_flipped_salt(void **state)
{
	(void)state;
	assert_civic(CIVIC_EAUTH, load_with_flip("salt", 0, 'A'));
}

/* The public key is bound into the AEAD's additional data. */
static void test_key_load_refuses_swapped_public_key(void **state)
{
	(void)state;
	/* "ssh-ed25519 " + 25 fixed characters, then the key's own bytes */
	assert_civic(CIVIC_EAUTH, load_with_flip("public", 12 + 30, 'A'));
}

static void test_key_load_refuses_malformed_files(void **state)
{
	static const char *const bad[] = {
		"",
		"not json",
		"[]",
		"{}",
		"{\"format\": \"civic-secret-key-2\"}",
		("{\"format\": \"civic-secret-key-1\", \"public\": \"ssh-rsa AAAA\", \"kdf\": \"none\", "
		 "\"seed\": \"\"}"),
		"{\"format\": \"civic-secret-key-1\", \"format\": \"civic-secret-key-1\"}",
	};
	char path[4200], text[4096];
	civic_buf pub = CIVIC_BUF_INIT;
	size_t i;
	(void)state;

	path_in(path, sizeof path, "malformed.key");
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		write_file(path, bad[i], strlen(bad[i]), 0600);
		assert_civic(CIVIC_EINVALID, loads(path, PASS));
	}
	assert_civic_ok(civic_pubkey_to_openssh(&pub, civic_key_public(g.key)));
	/* Well-formed but refused: unknown kdf, extra member, absurd limits, short salt. */
	snprintf(text, sizeof text, "{\"format\": \"civic-secret-key-1\", \"public\": \"%s\", "
		 "\"kdf\": \"scrypt\", \"seed\": \"\"}", pub.ptr);
	write_file(path, text, strlen(text), 0600);
	assert_civic(CIVIC_EINVALID, loads(path, PASS));
	snprintf(text, sizeof text, "{\"format\": \"civic-secret-key-1\", \"public\": \"%s\", "
		 "\"kdf\": \"none\", \"seed\": \"AAAA\", \"extra\": 1}", pub.ptr);
	write_file(path, text, strlen(text), 0600);
	assert_civic(CIVIC_EINVALID, loads(path, PASS));
	snprintf(text, sizeof text, "{\"format\": \"civic-secret-key-1\", \"public\": \"%s\", "
		 "\"kdf\": \"argon2id13\", \"opslimit\": 2, \"memlimit\": 1099511627776, "
		 "\"salt\": \"AAAAAAAAAAAAAAAAAAAAAA==\", \"nonce\": \"\", \"sealed\": \"\"}", pub.ptr);
	write_file(path, text, strlen(text), 0600);
	assert_civic(CIVIC_EINVALID, loads(path, PASS));
	snprintf(text, sizeof text, "{\"format\": \"civic-secret-key-1\", \"public\": \"%s\", "
		 "\"kdf\": \"argon2id13\", \"opslimit\": 2, \"memlimit\": 67108864, "
		 "\"salt\": \"AAAA\", \"nonce\": \"\", \"sealed\": \"\"}", pub.ptr);
	write_file(path, text, strlen(text), 0600);
	assert_civic(CIVIC_EINVALID, loads(path, PASS));
	civic_buf_dispose(&pub);
}

static void test_key_load_refuses_oversized_file(void **state)
{
	char path[4200];
	char *big = malloc(CIVIC_KEY_FILE_MAX + 2);
	(void)state;
	assert_non_null(big);
	memset(big, ' ', CIVIC_KEY_FILE_MAX + 1);
	path_in(path, sizeof path, "big.key");
	write_file(path, big, CIVIC_KEY_FILE_MAX + 1, 0600);
	assert_civic(CIVIC_EINVALID, loads(path, NULL));
	free(big);
}

static void test_key_load_refuses_directory(void **state)
{
	char path[4200];
	(void)state;
	path_in(path, sizeof path, "a-directory");
	assert_int_equal(mkdir(path, 0700), 0);
	assert_civic(CIVIC_EINVALID, loads(path, NULL));
	rmdir(path);
}

/*------------------------------------------------------------------------
 * OpenSSH import
 */

static void test_key_import_ssh_keygen_key(void **state)
{
	civic_key *k = NULL;
	civic_buf pub = CIVIC_BUF_INIT, fp = CIVIC_BUF_INIT;
	char line[512], want[512], type[64], cmd[4400];
	size_t len;
	char *text = read_file(g.ssh_path, &len);
	(void)state;

	assert_civic_ok(civic_key_import_openssh(&k, text, len));
	assert_civic_ok(civic_pubkey_to_openssh(&pub, civic_key_public(k)));
	snprintf(cmd, sizeof cmd, "cat '%s.pub'", g.ssh_path);
	capture(line, sizeof line, cmd);
	field(type, sizeof type, line, 0);
	field(want, sizeof want, line, 1);
	assert_string_equal(type, "ssh-ed25519");
	assert_true(strncmp(pub.ptr, "ssh-ed25519 ", 12) == 0);
	assert_string_equal(pub.ptr + 12, want);

	assert_civic_ok(civic_pubkey_fingerprint(&fp, civic_key_public(k)));
	snprintf(cmd, sizeof cmd, "ssh-keygen -lf '%s.pub'", g.ssh_path);
	capture(line, sizeof line, cmd);
	field(want, sizeof want, line, 1);
	assert_string_equal(fp.ptr, want);

	civic_key_free(k);
	civic_buf_dispose(&pub);
	civic_buf_dispose(&fp);
	free(text);
}

/* An imported key saved and loaded again is the same key. */
static void test_key_import_then_save(void **state)
{
	civic_key *k = NULL, *back = NULL;
	char path[4200];
	size_t len;
	char *text = read_file(g.ssh_path, &len);
	(void)state;

	path_in(path, sizeof path, "imported.key");
	assert_civic_ok(civic_key_import_openssh(&k, text, len));
	assert_civic_ok(civic_key_save(k, path, NULL, 0));
	assert_civic_ok(civic_key_load(&back, path, NULL, 0));
	assert_same_key(k, back);
	civic_key_free(k);
	civic_key_free(back);
	free(text);
}

static int import_file(const char *path)
{
	civic_key *k = NULL;
	size_t len;
	char *text = read_file(path, &len);
	int rc = civic_key_import_openssh(&k, text, len);

	if (rc < 0)
		assert_null(k);
	civic_key_free(k);
	free(text);
	return rc;
}

static void test_key_import_refuses_encrypted_ssh_key(void **state)
{
	char path[4200];
	(void)state;
	path_in(path, sizeof path, "id_encrypted");
	assert_int_equal(run("ssh-keygen -q -t ed25519 -N secret -f '%s'", path), 0);
	assert_civic(CIVIC_EINVALID, import_file(path));
	assert_non_null(strstr(civic_error_last()->message, "encrypted"));
	assert_non_null(strstr(civic_error_last()->message, "ssh-keygen -p"));
}

static void test_key_import_refuses_rsa_key(void **state)
{
	char path[4200];
	(void)state;
	path_in(path, sizeof path, "id_rsa");
	assert_int_equal(run("ssh-keygen -q -t rsa -b 2048 -N '' -f '%s'", path), 0);
	assert_civic(CIVIC_EINVALID, import_file(path));
	assert_non_null(strstr(civic_error_last()->message, "ssh-rsa"));
}

static void test_key_import_refuses_garbage(void **state)
{
	static const char *const bad[] = {
		"",
		"hello",
		"-----BEGIN OPENSSH PRIVATE KEY-----\n-----END OPENSSH PRIVATE KEY-----\n",
		"-----BEGIN OPENSSH PRIVATE KEY-----\n!!!!\n-----END OPENSSH PRIVATE KEY-----\n",
		"-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
		"-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
	};
	size_t i;
	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		civic_key *k = NULL;
		assert_civic(CIVIC_EINVALID, civic_key_import_openssh(&k, bad[i], strlen(bad[i])));
		assert_null(k);
	}
}

/*
 * Decodes the ssh-keygen key, lets `edit` change the binary, armors it
 * again and imports it. Layout of an unencrypted ed25519 key:
 *   0 "openssh-key-v1\0", 15 "none", 23 "none", 31 "", 35 nkeys,
 *   39 public blob (4 + 51), 94 private section length, 98 checkint,
 *   102 checkint, 106 "ssh-ed25519", 121 public (4 + 32),
 *   157 secret (4 + 64: seed at 161, public at 193), 225 comment, padding.
 */
static int import_edited(void (*edit)(uint8_t *raw, size_t *len))
{
	static const char begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----\n";
	static const char end[] = "-----END OPENSSH PRIVATE KEY-----\n";
	uint8_t raw[2048];
	char b64[4096], text[4400];
	size_t len, raw_len;
	char *orig = read_file(g.ssh_path, &len);
	civic_key *k = NULL;
	int rc;

	assert_int_equal(sodium_base642bin(raw, sizeof raw, orig + strlen(begin),
					   len - strlen(begin) - strlen(end), "\n", &raw_len, NULL,
					   sodium_base64_VARIANT_ORIGINAL), 0);
	edit(raw, &raw_len);
	sodium_bin2base64(b64, sizeof b64, raw, raw_len, sodium_base64_VARIANT_ORIGINAL);
	snprintf(text, sizeof text, "%s%s\n%s", begin, b64, end);
	rc = civic_key_import_openssh(&k, text, strlen(text));
	civic_key_free(k);
	free(orig);
	return rc;
}

static void edit_nothing(uint8_t *raw, size_t *len) { (void)raw; (void)len; }
static void edit_checkint(uint8_t *raw, size_t *len) { (void)len; raw[98] ^= 1; }
static void edit_private_public(uint8_t *raw, size_t *len) { (void)len; raw[130] ^= 1; }
static void edit_secret_public(uint8_t *raw, size_t *len) { (void)len; raw[200] ^= 1; }
static void edit_seed(uint8_t *raw, size_t *len) { (void)len; raw[170] ^= 1; }
static void edit_outer_public(uint8_t *raw, size_t *len) { (void)len; raw[70] ^= 1; }
static void edit_nkeys(uint8_t *raw, size_t *len) { (void)len; raw[38] = 2; }
static void edit_padding(uint8_t *raw, size_t *len) { raw[*len - 1] ^= 0x40; }
static void edit_trailing(uint8_t *raw, size_t *len) { raw[(*len)++] = 0; }
static void edit_truncated(uint8_t *raw, size_t *len) { (void)raw; *len -= 9; }
static void edit_magic(uint8_t *raw, size_t *len) { (void)len; raw[13] = '2'; }

static void test_key_import_checks_structure(void **state)
{
	(void)state;
	assert_civic_ok(import_edited(edit_nothing));
	assert_civic(CIVIC_EINVALID, import_edited(edit_checkint));
	assert_non_null(strstr(civic_error_last()->message, "check-ints"));
	assert_civic(CIVIC_EINVALID, import_edited(edit_private_public));
	assert_civic(CIVIC_EINVALID, import_edited(edit_secret_public));
	assert_civic(CIVIC_EINVALID, import_edited(edit_seed));
	assert_non_null(strstr(civic_error_last()->message, "does not match"));
	assert_civic(CIVIC_EINVALID, import_edited(edit_outer_public));
	assert_civic(CIVIC_EINVALID, import_edited(edit_nkeys));
	assert_civic(CIVIC_EINVALID, import_edited(edit_padding));
	assert_civic(CIVIC_EINVALID, import_edited(edit_trailing));
	assert_civic(CIVIC_EINVALID, import_edited(edit_truncated));
	assert_civic(CIVIC_EINVALID, import_edited(edit_magic));
}

/*------------------------------------------------------------------------
 * Public key forms
 */

static void test_pubkey_openssh_roundtrip(void **state)
{
	civic_buf line = CIVIC_BUF_INIT, with = CIVIC_BUF_INIT;
	civic_pubkey pk;
	const civic_pubkey *want = civic_key_public(g.key);
	static const char *const suffixes[] = { "", "\n", "\r\n", " comment", " a b c\n",
						"\tnode@civic\r\n" };
	size_t i;
	(void)state;

	assert_civic_ok(civic_pubkey_to_openssh(&line, want));
	assert_int_equal(line.size, 80);
	assert_true(strncmp(line.ptr, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI", 37) == 0);
	for (i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		civic_buf_clear(&with);
		civic_buf_printf(&with, "%s%s", line.ptr, suffixes[i]);
		memset(&pk, 0, sizeof pk);
		assert_civic_ok(civic_pubkey_from_openssh(&pk, with.ptr, with.size));
		assert_true(civic_pubkey_equal(&pk, want));
	}
	civic_buf_dispose(&line);
	civic_buf_dispose(&with);
}

static void test_pubkey_openssh_refuses_bad_lines(void **state)
{
	char good[128], bad_line[300];
	civic_buf line = CIVIC_BUF_INIT;
	const char *const bad[] = {
		"",
		"\n",
		"ssh-ed25519",
		"ssh-ed25519 ",
		"ssh-ed25519 !!!!",
		"ssh-ed25519 AAAA",
		"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7",
		"ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7",
		"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY=",
		"sk-ssh-ed25519@openssh.com AAAA",
	};
	civic_pubkey pk;
	size_t i;
	(void)state;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_civic(CIVIC_EINVALID, civic_pubkey_from_openssh(&pk, bad[i], strlen(bad[i])));
	assert_civic_ok(civic_pubkey_to_openssh(&line, civic_key_public(g.key)));
	snprintf(good, sizeof good, "%s", line.ptr);

	/* Two lines; a NUL inside; no blank after the type; one base64 character
	 * dropped, or one too many; leading blank; upper-case type. */
	snprintf(bad_line, sizeof bad_line, "%s\n%s\n", good, good);
	assert_civic(CIVIC_EINVALID, civic_pubkey_from_openssh(&pk, bad_line, strlen(bad_line)));
	assert_civic(CIVIC_EINVALID, civic_pubkey_from_openssh(&pk, good, strlen(good) + 1));
	snprintf(bad_line, sizeof bad_line, "ssh-ed25519%s", good + 12);
	assert_civic(CIVIC_EINVALID, civic_pubkey_from_openssh(&pk, bad_line, strlen(bad_line)));
	assert_civic(CIVIC_EINVALID, civic_pubkey_from_openssh(&pk, good, strlen(good) - 1));
	snprintf(bad_line, sizeof bad_line, "%sAAAA", good);
	assert_civic(CIVIC_EINVALID, civic_pubkey_from_openssh(&pk, bad_line, strlen(bad_line)));
	snprintf(bad_line, sizeof bad_line, " %s", good);
	assert_civic(CIVIC_EINVALID, civic_pubkey_from_openssh(&pk, bad_line, strlen(bad_line)));
	snprintf(bad_line, sizeof bad_line, "SSH-ED25519%s", good + 11);
	assert_civic(CIVIC_EINVALID, civic_pubkey_from_openssh(&pk, bad_line, strlen(bad_line)));
	civic_buf_dispose(&line);
}

static void test_pubkey_hex_roundtrip(void **state)
{
	char hex[CIVIC_PUBKEY_HEX_LEN + 1];
	civic_pubkey pk;
	size_t i;
	(void)state;

	civic_pubkey_to_hex(hex, civic_key_public(g.key));
	assert_int_equal(strlen(hex), CIVIC_PUBKEY_HEX_LEN);
	for (i = 0; i < CIVIC_PUBKEY_HEX_LEN; i++)
		assert_non_null(strchr("0123456789abcdef", hex[i]));
	assert_civic_ok(civic_pubkey_from_hex(&pk, hex, strlen(hex)));
	assert_true(civic_pubkey_equal(&pk, civic_key_public(g.key)));
}

static void test_pubkey_hex_refuses_bad_input(void **state)
{
	char hex[CIVIC_PUBKEY_HEX_LEN + 2];
	civic_pubkey pk;
	(void)state;

	civic_pubkey_to_hex(hex, civic_key_public(g.key));
	assert_civic(CIVIC_EINVALID, civic_pubkey_from_hex(&pk, hex, CIVIC_PUBKEY_HEX_LEN - 1));
	assert_civic(CIVIC_EINVALID, civic_pubkey_from_hex(&pk, "", 0));
	hex[CIVIC_PUBKEY_HEX_LEN] = '0';
	hex[CIVIC_PUBKEY_HEX_LEN + 1] = '\0';
	assert_civic(CIVIC_EINVALID, civic_pubkey_from_hex(&pk, hex, CIVIC_PUBKEY_HEX_LEN + 1));
	memcpy(hex, "ABCDEF", 6);
	assert_civic(CIVIC_EINVALID, civic_pubkey_from_hex(&pk, hex, CIVIC_PUBKEY_HEX_LEN));
	memcpy(hex, "0g", 2);
	assert_civic(CIVIC_EINVALID, civic_pubkey_from_hex(&pk, hex, CIVIC_PUBKEY_HEX_LEN));
	memcpy(hex, "0 ", 2);
	assert_civic(CIVIC_EINVALID, civic_pubkey_from_hex(&pk, hex, CIVIC_PUBKEY_HEX_LEN));
}

static void test_pubkey_equal(void **state)
{
	civic_pubkey a, b;
	(void)state;
	memset(&a, 7, sizeof a);
	b = a;
	assert_true(civic_pubkey_equal(&a, &b));
	b.bytes[31] ^= 1;
	assert_false(civic_pubkey_equal(&a, &b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_generate_gives_distinct_keys),
		cmocka_unit_test(test_key_roundtrip_with_passphrase),
		cmocka_unit_test(test_key_roundtrip_without_passphrase),
		cmocka_unit_test(test_key_file_contents),
		cmocka_unit_test(test_key_wrong_passphrase),
		cmocka_unit_test(test_key_encrypted_needs_passphrase),
		cmocka_unit_test(test_key_file_is_encrypted),
		cmocka_unit_test(test_key_file_mode_is_0600),
		cmocka_unit_test(test_key_refuses_file_readable_by_others),
		cmocka_unit_test(test_key_save_refuses_overwrite),
		cmocka_unit_test(test_key_save_refuses_dangling_symlink),
		cmocka_unit_test(test_key_save_refuses_empty_passphrase),
		cmocka_unit_test(test_key_save_into_missing_dir_fails),
		cmocka_unit_test(test_key_load_missing_file),
		cmocka_unit_test(test_key_load_refuses_truncated_file),
		cmocka_unit_test(test_key_load_refuses_flipped_byte_clear),
		cmocka_unit_test(test_key_load_refuses_flipped_sealed),
		cmocka_unit_test(test_key_load_refuses_flipped_nonce),
		cmocka_unit_test(test_key_load_refuses_flipped_salt),
		cmocka_unit_test(test_key_load_refuses_swapped_public_key),
		cmocka_unit_test(test_key_load_refuses_malformed_files),
		cmocka_unit_test(test_key_load_refuses_oversized_file),
		cmocka_unit_test(test_key_load_refuses_directory),
		cmocka_unit_test(test_key_import_ssh_keygen_key),
		cmocka_unit_test(test_key_import_then_save),
		cmocka_unit_test(test_key_import_refuses_encrypted_ssh_key),
		cmocka_unit_test(test_key_import_refuses_rsa_key),
		cmocka_unit_test(test_key_import_refuses_garbage),
		cmocka_unit_test(test_key_import_checks_structure),
		cmocka_unit_test(test_pubkey_openssh_roundtrip),
		cmocka_unit_test(test_pubkey_openssh_refuses_bad_lines),
		cmocka_unit_test(test_pubkey_hex_roundtrip),
		cmocka_unit_test(test_pubkey_hex_refuses_bad_input),
		cmocka_unit_test(test_pubkey_equal),
		cmocka_unit_test(test_key_save_leaves_no_temp_files),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
