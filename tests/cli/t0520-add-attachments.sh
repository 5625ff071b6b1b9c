#!/bin/sh
# Attachments: referenced by SHA-256 and size from the signed record, stored
# outside git, shown as present, missing or corrupt; large ones in bounded
# memory.
. "$(dirname "$0")/test-lib.sh"

store() { echo "$1/attachments/sha256/$2"; }
sha() { sha256sum "$1" | cut -d" " -f1; }
size() { wc -c <"$1" | tr -d " "; }

# attachment_state HOME ID [N]: the state `civic show --json` gives attachment N.
attachment_state() {
	civic --home "$1" show --json "$2" >"$TEST_DIR/state.json" &&
	python3 - "$TEST_DIR/state.json" "${3:-0}" <<-\EOF
	import json, sys
	d = json.load(open(sys.argv[1]))
	print(d["attachments"][int(sys.argv[2])]["state"])
	EOF
}

test_expect_success 'setup' '
	new_network cc &&
	join_network cc a "НПО Рила" rila &&
	head -c 300000 /dev/urandom >"121214 1.jpg" &&
	head -c 1000 /dev/urandom >"Снимка 2.JPG" &&
	: >empty.txt
'

test_expect_success 'add a photo with two attachments' '
	civic --home a add photo --field title="Снимки от срещата" --field visibility=public \
		--field date=2014-12-12 --attach "121214 1.jpg" --attach "Снимка 2.JPG" >id &&
	grep -q "^[0-9a-f]\{40\}$" id
'

test_expect_success 'the attachment bytes are stored by SHA-256, outside git' '
	cmp "121214 1.jpg" "$(store a "$(sha "121214 1.jpg")")" &&
	cmp "Снимка 2.JPG" "$(store a "$(sha "Снимка 2.JPG")")" &&
	test "$(git_in a ls-tree -r --name-only "$(cat id)")" = records/00/00/00/00000001.json &&
	! git_in a cat-file --batch-all-objects --batch-check | grep -q " blob 300000$"
'

test_expect_success 'civic show reports them present, with SHA-256 and size' '
	civic --home a show "$(cat id)" >show.txt &&
	grep -q "^attachment  *121214 1.jpg  $(sha "121214 1.jpg")  300000 bytes  \[present\]$" show.txt &&
	grep -q "^attachment  *Снимка 2.JPG  $(sha "Снимка 2.JPG")  1000 bytes  \[present\]$" show.txt
'

test_expect_success 'civic show --json reports them present, with media types' '
	civic --home a show --json "$(cat id)" >show.json &&
	python3 - show.json "$(sha "121214 1.jpg")" "$(sha "Снимка 2.JPG")" <<-\EOF
	import json, sys
	d = json.load(open(sys.argv[1]))
	a = d["attachments"]
	assert [x["state"] for x in a] == ["present", "present"], a
	assert a[0]["name"] == "121214 1.jpg" and a[0]["sha256"] == sys.argv[2], a
	assert a[0]["size"] == 300000 and a[0]["media_type"] == "image/jpeg", a
	assert a[1]["name"] == "Снимка 2.JPG" and a[1]["sha256"] == sys.argv[3], a
	assert a[1]["size"] == 1000 and a[1]["media_type"] == "image/jpeg", a
	assert d["record"]["attachments"][0]["sha256"] == sys.argv[2], d
	EOF
'

test_expect_success 'audit counts them present' '
	civic --home a audit >out &&
	grep -q "attachments: 2 present, 0 missing, 0 corrupt" out
'

test_expect_success 'an empty file can be attached' '
	civic --home a add document --field title="Празен файл" --field visibility=public \
		--field date=2015-01-30 --field document_type=other --attach empty.txt >id-empty &&
	test "$(attachment_state a "$(cat id-empty)")" = present &&
	civic --home a show --json "$(cat id-empty)" | grep -q "\"size\": 0" &&
	civic --home a show --json "$(cat id-empty)" | grep -q "\"media_type\": \"text/plain\""
'

test_expect_success 'the same bytes under two names are stored once' '
	cp "Снимка 2.JPG" same.jpg &&
	civic --home a add photo --field title="Пак" --field visibility=public \
		--field date=2014-12-12 --attach same.jpg >id-same &&
	test "$(find a/attachments/sha256 -type f | wc -l)" = 3 &&
	test "$(attachment_state a "$(cat id-same)")" = present
'

test_expect_success 'a deleted attachment: show says missing' '
	mv "$(store a "$(sha "121214 1.jpg")")" saved.jpg &&
	civic --home a show "$(cat id)" >show.txt &&
	grep -q "^attachment  *121214 1.jpg .*\[missing\]$" show.txt &&
	grep -q "^attachment  *Снимка 2.JPG .*\[present\]$" show.txt &&
	test "$(attachment_state a "$(cat id)")" = missing
'

test_expect_success 'a deleted attachment: audit exits 0 but reports it missing' '
	civic --home a audit >out &&
	grep -q "attachments: 3 present, 1 missing, 0 corrupt" out &&
	grep -q "$(sha "121214 1.jpg")" out &&
	grep -q "missing" out &&
	civic --home a audit --json >audit.json &&
	python3 - audit.json "$(sha "121214 1.jpg")" <<-\EOF
	import json, sys
	d = json.load(open(sys.argv[1]))
	assert d["sound"] is True and d["attachments"]["missing"] == 1, d
	f = [f for f in d["findings"] if sys.argv[2] in f["message"]]
	assert len(f) == 1 and f[0]["level"] == "notice", d["findings"]
	EOF
'

test_expect_success 'list still lists the record whose attachment is missing' '
	civic --home a list >out &&
	grep -q "$(cut -c1-12 id)" out
'

test_expect_success 'a corrupted attachment (same size): audit exits 1' '
	cp saved.jpg "$(store a "$(sha "121214 1.jpg")")" &&
	chmod u+w "$(store a "$(sha "121214 1.jpg")")" &&
	printf "XXXX" | dd of="$(store a "$(sha "121214 1.jpg")")" bs=1 seek=1000 conv=notrunc 2>/dev/null &&
	! cmp -s saved.jpg "$(store a "$(sha "121214 1.jpg")")" &&
	test_expect_code 1 civic --home a audit >out &&
	grep -q "attachments: 3 present, 0 missing, 1 corrupt" out &&
	grep -q "audit: FAILED" out &&
	test "$(attachment_state a "$(cat id)")" = corrupt
'

test_expect_success 'audit --json calls the corrupt attachment bad' '
	test_expect_code 1 civic --home a audit --json >audit.json &&
	python3 - audit.json "$(sha "121214 1.jpg")" <<-\EOF
	import json, sys
	d = json.load(open(sys.argv[1]))
	assert d["sound"] is False and d["attachments"]["corrupt"] == 1, d
	f = [f for f in d["findings"] if sys.argv[2] in f["message"]]
	assert len(f) == 1 and f[0]["level"] == "bad", d["findings"]
	EOF
'

test_expect_success 'a truncated attachment: audit exits 1, even with --no-rehash' '
	head -c 1000 saved.jpg >"$(store a "$(sha "121214 1.jpg")")" &&
	test_expect_code 1 civic --home a audit >out &&
	test_expect_code 1 civic --home a audit --no-rehash >out &&
	test "$(attachment_state a "$(cat id)")" = corrupt
'

test_expect_success 'a symlink in the attachment store is not trusted' '
	rm "$(store a "$(sha "121214 1.jpg")")" &&
	ln -s "$TEST_DIR/saved.jpg" "$(store a "$(sha "121214 1.jpg")")" &&
	test_expect_code 1 civic --home a audit >out
'

test_expect_success 'the restored attachment is present again, audit sound' '
	rm "$(store a "$(sha "121214 1.jpg")")" &&
	cp saved.jpg "$(store a "$(sha "121214 1.jpg")")" &&
	civic --home a audit >out &&
	grep -q "attachments: 4 present, 0 missing, 0 corrupt" out &&
	test "$(attachment_state a "$(cat id)")" = present
'

test_expect_success 'records travel without their attachments: missing on the other node' '
	fetch_feed a cc a &&
	civic --home cc show "$(cat id)" >show.txt &&
	grep -q "\[missing\]" show.txt &&
	civic --home cc audit >out &&
	grep -q "attachments: 0 present, 4 missing, 0 corrupt" out
'

test_expect_success 'an attachment that arrives later is present' '
	mkdir -p cc/attachments/sha256 &&
	cp "121214 1.jpg" "$(store cc "$(sha "121214 1.jpg")")" &&
	test "$(attachment_state cc "$(cat id)")" = present &&
	test "$(attachment_state cc "$(cat id)" 1)" = missing
'

test_expect_success 'a record with attachments verifies with stock git' '
	civic --home a allowed-signers >as &&
	git_in a -c gpg.ssh.allowedSignersFile="$TEST_DIR/as" verify-commit "$(cat id)"
'

# peak_rss_kb FILE COMMAND...: runs COMMAND, writes its peak RSS in KiB to FILE.
peak_rss_kb() {
	_out=$1
	shift
	if test -x /usr/bin/time; then
		/usr/bin/time -f %M -o "$_out" "$@"
	else
		python3 - "$_out" "$@" <<-\EOF
		import resource, subprocess, sys
		rc = subprocess.call(sys.argv[2:])
		kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
		open(sys.argv[1], "w").write("%d\n" % kb)
		sys.exit(rc)
		EOF
	fi
}

if test -x /usr/bin/time || python3 -c "import resource" 2>/dev/null; then
	test_expect_success 'a 50 MB photo adds with peak RSS under 40 MB' '
		dd if=/dev/zero of=big.jpg bs=1048576 count=50 2>/dev/null &&
		test "$(size big.jpg)" = 52428800 &&
		peak_rss_kb rss "$CIVIC" --home a add photo --field title="Голяма снимка" \
			--field visibility=public --field date=2015-02-27 --attach big.jpg >id-big &&
		echo "peak RSS: $(tail -n 1 rss) KiB" &&
		test "$(tail -n 1 rss)" -lt 40960 &&
		cmp big.jpg "$(store a "$(sha big.jpg)")" &&
		test "$(attachment_state a "$(cat id-big)")" = present &&
		civic --home a show --json "$(cat id-big)" | grep -q "\"size\": 52428800"
	'
else
	test_skip 'a 50 MB photo adds with peak RSS under 40 MB' 'neither /usr/bin/time nor python3'
fi

test_expect_success 'the 50 MB attachment audits in bounded memory too' '
	test -f big.jpg &&
	peak_rss_kb rss "$CIVIC" --home a audit >out &&
	echo "peak RSS: $(tail -n 1 rss) KiB" &&
	test "$(tail -n 1 rss)" -lt 40960
'

test_done
