#!/bin/sh
# civic add refuses bad input with one line, a non-zero exit, and no change
# to the archive (refs, objects, attachments, config).
. "$(dirname "$0")/test-lib.sh"

doc="--field title=Документ --field visibility=public --field date=2015-01-30 --field document_type=report"
minutes="--field title=Протокол --field visibility=public --field date=2015-01-30 --field meeting_type=training"

test_expect_success 'setup: a member node with one record' '
	new_network cc &&
	join_network cc a "НПО Рила" rila &&
	civic --home a add document $doc >id0 &&
	cat >good.json <<-\EOF
	{"kind": "document", "visibility": "public", "title": "Т", "date": "2015-01-30",
	 "document_type": "report"}
	EOF
'

test_expect_success 'a good --json file is accepted (the baseline of what follows)' '
	civic --home a add document --json good.json >id1
'

# --- JSON files -------------------------------------------------------------

test_expect_success 'an invalid JSON file is refused' '
	printf "{\"kind\": \"document\", \"title\": }\n" >bad.json &&
	test_refused 1 a add document --json bad.json &&
	err_has "bad.json"
'

test_expect_success 'a truncated JSON file is refused' '
	head -c 40 good.json >trunc.json &&
	test_refused 1 a add document --json trunc.json
'

test_expect_success 'a JSON file with duplicate keys is refused' '
	printf "{\"kind\": \"document\", \"visibility\": \"public\", \"title\": \"А\", \"title\": \"Б\", \"date\": \"2015-01-30\", \"document_type\": \"report\"}\n" >dup.json &&
	test_refused 1 a add document --json dup.json
'

test_expect_success 'a JSON file that is not an object is refused' '
	printf "[1, 2, 3]\n" >array.json &&
	test_refused 1 a add document --json array.json &&
	printf "\"text\"\n" >string.json &&
	test_refused 1 a add document --json string.json
'

test_expect_success 'an empty JSON file is refused' '
	: >empty.json &&
	test_refused 1 a add document --json empty.json
'

test_expect_success 'a JSON file with invalid UTF-8 is refused' '
	printf "{\"kind\": \"document\", \"visibility\": \"public\", \"title\": \"\377\376\", \"date\": \"2015-01-30\", \"document_type\": \"report\"}\n" >utf.json &&
	test_refused 1 a add document --json utf.json
'

test_expect_success 'a JSON file with an overlong UTF-8 encoding is refused' '
	printf "{\"kind\": \"document\", \"visibility\": \"public\", \"title\": \"\300\257\", \"date\": \"2015-01-30\", \"document_type\": \"report\"}\n" >overlong.json &&
	test_refused 1 a add document --json overlong.json
'

test_expect_success 'a JSON file with \u0000 in a string is refused' '
	printf "{\"kind\": \"document\", \"visibility\": \"public\", \"title\": \"a\\\\u0000b\", \"date\": \"2015-01-30\", \"document_type\": \"report\"}\n" >nul.json &&
	grep -q "u0000" nul.json &&
	test_refused 1 a add document --json nul.json
'

test_expect_success 'a JSON file with a lone surrogate escape is refused' '
	printf "{\"kind\": \"document\", \"visibility\": \"public\", \"title\": \"\\\\ud800\", \"date\": \"2015-01-30\", \"document_type\": \"report\"}\n" >sur.json &&
	test_refused 1 a add document --json sur.json
'

test_expect_success 'a JSON file larger than 1 MiB is refused' '
	{ printf "{\"kind\": \"document\", \"visibility\": \"public\", \"title\": \"Т\", \"date\": \"2015-01-30\", \"document_type\": \"report\", \"body\": \"" &&
	  head -c 1100000 /dev/zero | tr "\0" x &&
	  printf "\"}\n"; } >huge.json &&
	test_refused 1 a add document --json huge.json
'

test_expect_success 'a missing --json file is refused' '
	test_refused 1 a add document --json nonexistent.json &&
	err_has "nonexistent.json"
'

test_expect_success 'a directory as --json file is refused' '
	mkdir dir.json &&
	test_refused 1 a add document --json dir.json
'

# --- the schema --------------------------------------------------------------

test_expect_success 'a field the schema does not know is refused (--field)' '
	test_refused 1 a add document $doc --field colour=red &&
	err_has "colour"
'

test_expect_success 'a field the schema does not know is refused (--json)' '
	printf "{\"kind\": \"document\", \"visibility\": \"public\", \"title\": \"Т\", \"date\": \"2015-01-30\", \"document_type\": \"report\", \"author\": \"me\"}\n" >extra.json &&
	test_refused 1 a add document --json extra.json &&
	err_has "author"
'

test_expect_success 'an unknown field inside addressee is refused' '
	test_refused 1 a add recommendation --field title=П --field visibility=public \
		--field date=2015-07-20 --field addressee.municipality=rila \
		--field addressee.body=council --field addressee.phone=123 --field body=Текст
'

test_expect_success 'a missing required field is refused' '
	test_refused 1 a add document --field title=Т --field visibility=public --field date=2015-01-30 &&
	err_has "document_type"
'

test_expect_success 'minutes without a body are refused' '
	test_refused 1 a add minutes $minutes
'

test_expect_success 'the date 2015-02-30 is refused' '
	test_refused 1 a add document --field title=Т --field visibility=public \
		--field date=2015-02-30 --field document_type=report &&
	err_has "date"
'

test_expect_success 'the dates 2015-13-01, 2015-2-3 and 2015-02-29 are refused' '
	test_refused 1 a add document --field title=Т --field visibility=public \
		--field date=2015-13-01 --field document_type=report &&
	test_refused 1 a add document --field title=Т --field visibility=public \
		--field date=2015-2-3 --field document_type=report &&
	test_refused 1 a add document --field title=Т --field visibility=public \
		--field date=2015-02-29 --field document_type=report
'

test_expect_success 'the leap day 2016-02-29 is accepted' '
	civic --home a add document --field title=Т --field visibility=public \
		--field date=2016-02-29 --field document_type=report >id2
'

test_expect_success 'a value outside an enum is refused' '
	test_refused 1 a add document --field title=Т --field visibility=secret \
		--field date=2015-01-30 --field document_type=report &&
	test_refused 1 a add document --field title=Т --field visibility=public \
		--field date=2015-01-30 --field document_type=novel
'

test_expect_success 'a value of the wrong type is refused' '
	test_refused 1 a add minutes $minutes --field body=Т --field participants=one &&
	test_refused 1 a add minutes $minutes --field body=Т --field "participants:=[1, 2]" &&
	test_refused 1 a add document --field "title:=42" --field visibility=public \
		--field date=2015-01-30 --field document_type=report
'

test_expect_success 'an empty, blank or too long title is refused' '
	test_refused 1 a add document --field title= --field visibility=public \
		--field date=2015-01-30 --field document_type=report &&
	test_refused 1 a add document --field "title=   " --field visibility=public \
		--field date=2015-01-30 --field document_type=report &&
	test_refused 1 a add document --field "title=$(python3 -c "print(\"я\" * 301)")" \
		--field visibility=public --field date=2015-01-30 --field document_type=report
'

test_expect_success 'a title of exactly 300 Cyrillic characters is accepted' '
	civic --home a add document --field "title=$(python3 -c "print(\"я\" * 300)")" \
		--field visibility=public --field date=2015-01-30 --field document_type=report >id3
'

test_expect_success 'a malformed record id in corrects is refused' '
	test_refused 1 a add correction --field title=П --field visibility=public \
		--field corrects=abc --field reason=Защото --field body=Текст &&
	test_refused 1 a add correction --field title=П --field visibility=public \
		--field corrects="$(tr a-f A-F <id0)" --field reason=Защото --field body=Текст
'

test_expect_success 'a bad language code is refused' '
	test_refused 1 a add document $doc --field language=bul
'

test_expect_success 'an unknown municipality in a record is refused' '
	test_refused 1 a add document $doc --field municipality=sofia &&
	test_refused 1 a add document $doc --field municipality=София
'

test_expect_success 'a body longer than 65536 characters is refused' '
	head -c 70000 /dev/zero | tr "\0" x >long.md &&
	test_refused 1 a add document $doc --body long.md
'

test_expect_success 'a photo without attachments is refused' '
	test_refused 1 a add photo --field title=Снимка --field visibility=public --field date=2015-01-30
'

# --- kinds -----------------------------------------------------------------

test_expect_success 'an unknown kind is a usage error (129)' '
	test_refused 129 a add letter $doc &&
	err_has "letter"
'

test_expect_success 'a record whose kind is not the command'"'"'s is refused (--json)' '
	test_refused 1 a add minutes --json good.json &&
	err_has "minutes"
'

test_expect_success 'a record whose kind is not the command'"'"'s is refused (--field)' '
	test_refused 1 a add document $doc --field kind=minutes
'

test_expect_success 'add without a kind is a usage error' '
	test_expect_code 129 civic --home a add 2>err &&
	test_expect_code 129 civic --home a add document minutes $doc 2>err &&
	test_expect_code 129 civic --home a add document --frobnicate 2>err
'

# --- --field ---------------------------------------------------------------

test_expect_success 'invalid UTF-8 in a --field value is refused' '
	test_refused 1 a add document --field "title=$(printf "\377\376")" --field visibility=public \
		--field date=2015-01-30 --field document_type=report &&
	err_has "UTF-8"
'

test_expect_success 'a --field value with an overlong UTF-8 encoding is refused' '
	test_refused 1 a add document --field "title=$(printf "\300\257")" --field visibility=public \
		--field date=2015-01-30 --field document_type=report
'

test_expect_success 'invalid UTF-8 in a --field name is refused' '
	test_refused 1 a add document $doc --field "$(printf "ti\377tle")=x" &&
	err_has "UTF-8"
'

test_expect_success 'invalid UTF-8 in a dotted --field name is refused' '
	test_refused 1 a add recommendation --field title=П --field visibility=public \
		--field date=2015-07-20 --field "$(printf "addr\377ssee").municipality=rila" \
		--field addressee.body=council --field body=Текст
'

test_expect_success 'a --field without "=" is refused' '
	test_refused 1 a add document $doc --field novalue
'

test_expect_success 'a --field with an empty name is refused' '
	test_refused 1 a add document $doc --field =value &&
	test_refused 1 a add document $doc --field "addressee.=x"
'

test_expect_success 'the same --field given twice is refused' '
	test_refused 1 a add document $doc --field title=Друго &&
	err_has "twice"
'

test_expect_success 'a --field that the --json file has already is refused' '
	test_refused 1 a add document --json good.json --field title=Друго
'

test_expect_success 'invalid JSON after := is refused' '
	test_refused 1 a add minutes $minutes --field body=Т --field "participants:=[\"a\","
'

test_expect_success 'a dotted --field under a string is refused' '
	test_refused 1 a add document $doc --field title.sub=x
'

# --- --body ------------------------------------------------------------------

test_expect_success 'invalid UTF-8 in the --body file is refused' '
	printf "Протокол \377\376 от срещата\n" >bad.md &&
	test_refused 1 a add document $doc --body bad.md &&
	err_has "bad.md"
'

# On a node of its own: if a NUL byte got in, the feed would stop verifying.
test_expect_success 'a NUL byte in the --body file is refused' '
	join_network cc z "НПО Зет" rila &&
	civic --home z add document $doc >z0 &&
	printf "Протокол\000скрито\n" >nul.md &&
	test_refused 1 z add document $doc --body nul.md
'

test_expect_success 'the feed still verifies after the NUL-byte attempt' '
	civic --home z audit >out &&
	civic --home z add document $doc >z1 &&
	civic --home z show "$(cat z1)" >/dev/null
'

test_expect_success 'a missing --body file is refused' '
	test_refused 1 a add document $doc --body nonexistent.md &&
	err_has "nonexistent.md"
'

test_expect_success '--body with a "body" field given as well is refused' '
	printf "Текст\n" >ok.md &&
	test_refused 1 a add minutes $minutes --field body=Текст --body ok.md
'

# --- attachments -------------------------------------------------------------

test_expect_success 'a missing --attach file is refused' '
	test_refused 1 a add document $doc --attach nonexistent.jpg &&
	err_has "nonexistent.jpg"
'

test_expect_success 'a directory as --attach file is refused' '
	mkdir photos &&
	test_refused 1 a add document $doc --attach photos
'

test_expect_success 'an attachment whose name has a control character is refused' '
	printf "bytes" >"$(printf "a\tb.jpg")" &&
	test_refused 1 a add document $doc --attach "$(printf "a\tb.jpg")"
'

test_expect_success 'an attachment whose name is not UTF-8 is refused, not dropped' '
	printf "bytes" >"$(printf "snimka\377.jpg")" &&
	test_refused 1 z add document $doc --attach "$(printf "snimka\377.jpg")"
'

# A FIFO would block a reader that waits for a writer: refuse, do not hang.
if command -v mkfifo >/dev/null && command -v timeout >/dev/null; then
	test_expect_success 'a FIFO as --json, --body or --attach is refused without blocking' '
		mkfifo fifo &&
		test_refused_cmd 1 a timeout 10 "$CIVIC" --home a add document --json fifo &&
		test_refused_cmd 1 a timeout 10 "$CIVIC" --home a add document $doc --body fifo &&
		test_refused_cmd 1 a timeout 10 "$CIVIC" --home a add document $doc --attach fifo
	'
else
	test_skip 'a FIFO as --json, --body or --attach is refused without blocking' 'no mkfifo or timeout'
fi

test_expect_success 'more than 100 --attach options are a usage error' '
	printf x >one.jpg &&
	many= &&
	i=0 &&
	while test $i -le 100; do many="$many --attach one.jpg"; i=$((i + 1)); done &&
	test_refused 129 a add document $doc $many
'

# --- the node --------------------------------------------------------------

test_expect_success 'add on a node of no network is refused' '
	new_node lone "Сам" rila &&
	test_refused 1 lone add document $doc &&
	err_has "network"
'

test_expect_success 'add on a home without a node is refused' '
	test_expect_code 1 civic --home nowhere add document $doc 2>err &&
	test_one_error_line &&
	test ! -e nowhere
'

test_expect_success 'setup: another process holds the node lock' '
	rm -f locked release &&
	{ flock a/lock sh -c "touch locked; i=0; while test ! -e release && test \$i -lt 200; do sleep 0.05; i=\$((i + 1)); done" & } &&
	n=0 &&
	while test ! -e locked && test $n -lt 200; do sleep 0.05; n=$((n + 1)); done &&
	test -e locked
'

test_expect_success 'a second civic writing at once is refused' '
	test_refused 1 a add document $doc &&
	err_has "another civic process"
'

test_expect_success 'network join is refused too while the lock is held' '
	test_refused 1 a network join "$(cat cc.net)" &&
	err_has "another civic process"
'

test_expect_success 'reading works while another process writes' '
	civic --home a list >out &&
	civic --home a show "$(cat id0)" >out &&
	civic --home a audit >out &&
	civic --home a id >out
'

test_expect_success 'add works again once the lock is released' '
	touch release &&
	wait &&
	civic --home a add document $doc >id5 &&
	grep -q "^[0-9a-f]\{40\}$" id5
'

test_expect_success 'after all these refusals the archive is sound' '
	git_in a fsck --strict --full &&
	civic --home a audit >out &&
	test "$(record_count a)" = 5
'

test_done
