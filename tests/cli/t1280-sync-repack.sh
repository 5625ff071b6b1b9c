#!/bin/sh
# Each sync that takes records adds a pack to the archive; once there are 32
# small ones, the next sync joins them with stock git (src/repack.h): the
# archive keeps every record, stock git fsck agrees, and a large pack (a
# long feed's part) is left as it came.
. "$(dirname "$0")/test-lib.sh"

packs() { ls "$1/archive.git/objects/pack/" | grep -c '^pack-.*\.pack$'; }

test_expect_success 'setup: a center and a member that took the roster' '
	new_network cc "НПО Мрежа – област Кюстендил" &&
	new_node a "НПО Рила" rila &&
	civic --home cc member add --name "НПО Рила" --municipality rila --role ngo \
		--key "$(node_key a)" >/dev/null &&
	civic --home a network join "$(cat cc.net)" >/dev/null &&
	civic --home a sync --no-attachments "$(abs cc)/archive.git" >/dev/null
'

test_expect_success '31 more syncs of one record each leave a pack each' '
	for i in $(seq 31); do
		add_doc cc "Протокол $i" >/dev/null &&
		civic --home a sync --no-attachments "$(abs cc)/archive.git" >out || return 1
	done &&
	test "$(packs a)" -ge 32
'

test_expect_success 'the next sync joins them: every record stays, audit and git fsck agree' '
	add_doc cc "Протокол 32" >/dev/null &&
	civic --home a sync --no-attachments "$(abs cc)/archive.git" >out 2>err &&
	! grep -q warning err &&
	test "$(packs a)" = 2 &&
	test "$(archive_refs a | grep "$(node_feed cc)")" = "$(archive_refs cc | grep "$(node_feed cc)")" &&
	civic --home a audit >audit && test "$(tail -n 1 audit)" = "audit: sound" &&
	grep -q "records: 32 valid" audit &&
	git --git-dir=a/archive.git fsck --full --no-dangling
'

test_expect_success 'a git pack-objects that fails: the sync runs, with one warning, and nothing is lost' '
	for i in $(seq 33 62); do
		add_doc cc "Протокол $i" >/dev/null &&
		civic --home a sync --no-attachments "$(abs cc)/archive.git" >out || return 1
	done &&
	before=$(packs a) && test "$before" = 32 &&
	add_doc cc "Протокол 63" >/dev/null &&
	mkdir failing &&
	printf "#!/bin/sh\nfor a; do [ \"\$a\" = pack-objects ] && exit 1; done\nexec %s \"\$@\"\n" \
		"$(command -v git)" >failing/git && chmod +x failing/git &&
	PATH="$TEST_DIR/failing:$PATH" civic --home a sync --no-attachments "$(abs cc)/archive.git" >out 2>err &&
	test "$(grep -c "warning: the archive.s small packs were not joined: git pack-objects failed" err)" = 1 &&
	test "$(packs a)" = 33 &&
	civic --home a audit >audit && test "$(tail -n 1 audit)" = "audit: sound" &&
	grep -q "records: 63 valid" audit &&
	civic --home a sync --no-attachments "$(abs cc)/archive.git" >out 2>err &&
	test ! -s err && test "$(packs a)" = 1
'

test_done
